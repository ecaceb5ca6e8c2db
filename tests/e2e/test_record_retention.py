"""The decision record's rotation and retention through the real daemon: meetingd --once on
three days (its clock set with MEETINGD_TEST_NOW, a test build's clock, instead of waiting
for midnight) starts a new decisions.jsonl each UTC day, keeps the older days as
decisions-YYYYMMDD.jsonl, removes a day file once it is older than record_retention (with an
info line), and --history reads the kept day files and the current one in order."""

import datetime
import json
import os

import e2e


class RecordRetention(e2e.TestCase):

    def test_rotation_and_removal(self):
        w = self.world(users=["organizer0", "room0"])
        conf = w.write_config({"room0": "accept-all"}, daemon={"record_retention": "2d"})
        today = datetime.datetime.now(datetime.timezone.utc).replace(
            hour=6, minute=0, second=0, microsecond=0)
        days = [today - datetime.timedelta(days=3), today - datetime.timedelta(days=2),
                today]
        self.addCleanup(os.environ.pop, "MEETINGD_TEST_NOW", None)
        logs = []
        for i, day in enumerate(days):
            os.environ["MEETINGD_TEST_NOW"] = e2e.iso(day)
            w.create_meeting(conf, "Meeting %d" % i, resources=["room0"], n=i)
            logs.append(w.once(conf).stderr)

        def day_file(day):
            return os.path.join(w.state_dir, "decisions-%s.jsonl" % day.strftime("%Y%m%d"))

        # Day 0 ended before today 06:00 - 2 days: removed at the third day's rotation, and
        # said so once; day 1 ended after it: kept.
        self.assertFalse(os.path.exists(day_file(days[0])), os.listdir(w.state_dir))
        self.assertTrue(os.path.exists(day_file(days[1])), os.listdir(w.state_dir))
        self.assertIn("%s: removed" % os.path.basename(day_file(days[0])), logs[2])
        self.assertNotIn("removed", logs[1])
        with open(day_file(days[1])) as f:
            kept = [json.loads(line) for line in f]
        self.assertEqual([d["subject"] for d in kept], ["Meeting 1"])
        self.assertEqual([d["subject"] for d in w.decisions()], ["Meeting 2"])
        self.assertTrue(w.decisions()[0]["time"].startswith(today.strftime("%Y-%m-%dT06:")))

        res = w.meetingd(conf, "--history", "--json")
        self.assertEqual(res.returncode, 0, res)
        shown = [json.loads(line) for line in res.stdout.splitlines()]
        self.assertEqual([d["subject"] for d in shown], ["Meeting 1", "Meeting 2"])
        hour = datetime.timedelta(hours=1)
        res = w.meetingd(conf, "--history", "--since", e2e.iso(days[1] - hour), "--until",
                         e2e.iso(today - hour))
        self.assertEqual(res.returncode, 0, res)
        self.assertIn('"Meeting 1"', res.stdout)
        self.assertNotIn('"Meeting 2"', res.stdout)

        # A start a day later with nothing to decide still removes what expired meanwhile.
        os.environ["MEETINGD_TEST_NOW"] = e2e.iso(today + datetime.timedelta(days=1))
        log = w.once(conf).stderr
        self.assertFalse(os.path.exists(day_file(days[1])), os.listdir(w.state_dir))
        self.assertIn("%s: removed" % os.path.basename(day_file(days[1])), log)
        self.assertEqual([d["subject"] for d in w.decisions()], ["Meeting 2"])


if __name__ == "__main__":
    e2e.main()
