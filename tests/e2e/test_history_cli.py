"""meetingd --history as a script uses it: --json prints each recorded decision as one JSON
object a line, and --since / --until take journalctl's forms (today, yesterday, -2h,
2026-12-01, a full time)."""

import json

import e2e


class HistoryCli(e2e.TestCase):

    def test_json_and_relative_times(self):
        w = self.world(users=["organizer0", "attendee0", "room0"])
        conf = w.write_config({"attendee0": "accept-all", "room0": "decline-all"})
        w.create_meeting(conf, "Plan", required=["attendee0"], resources=["room0"])
        w.once(conf)
        res = w.meetingd(conf, "--history", "--json")
        self.assertEqual(res.returncode, 0, res)
        lines = res.stdout.splitlines()
        self.assertEqual([json.loads(line) for line in lines], w.decisions())
        self.assertEqual(sorted(d["decision"] for d in w.decisions()), ["accept", "decline"])

        def shown(*args):
            r = w.meetingd(conf, "--history", "--json", *args)
            self.assertEqual(r.returncode, 0, r)
            return len(r.stdout.splitlines())

        self.assertEqual(shown("--since", "-2h"), 2)
        self.assertEqual(shown("--since", "yesterday"), 2)
        self.assertEqual(shown("--since", "2026-01-01"), 2)
        self.assertEqual(shown("--until", "-2h"), 0)
        self.assertEqual(shown("--until", "2026-01-01 00:00"), 0)
        self.assertEqual(shown("--mailbox", "room0", "--since", "-1d"), 1)
        # Without --json: the readable form.
        r = w.meetingd(conf, "--history", "--since", "-2h")
        self.assertIn("DECLINE", r.stdout)
        r = w.meetingd(conf, "--history", "--since", "someday")
        self.assertEqual(r.returncode, 64, r)
        self.assertIn("--since: not a date or time: someday", r.stderr)


if __name__ == "__main__":
    e2e.main()
