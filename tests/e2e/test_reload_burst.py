"""SIGHUPs in a burst while the configuration is being read (on a thread: a large file takes a
while): no reload is lost. After the last SIGHUP the daemon runs with the last file written,
whatever the earlier reads found, and answers by it."""

import signal

import e2e

A = e2e.addr

# Policies nobody uses make the file slow to read without adding mailboxes to poll.
FILLER = "".join("\n[policy filler%d]\nautomate = none\n" % i for i in range(20000))


class ReloadBurst(e2e.TestCase):

    def test_last_sighup_wins(self):
        w = self.world(users=["organizer0", "attendee0", "attendee1", "attendee2"])
        ctl = w.write_config({}, name="ctl.conf")
        conf = w.write_config({"attendee0": "accept-all"})
        w.write_file(conf, open(conf).read() + FILLER)
        d = w.start_daemon(conf)
        d.wait_log(r"meetingd .* started: 1 mailbox")

        # Three files, a SIGHUP after each, without waiting: the second and third arrive
        # while the first is being read.
        for mailboxes in ({"attendee0": "accept-all", "attendee1": "accept-all"},
                          {"attendee0": "accept-all", "attendee1": "accept-all",
                           "attendee2": "accept-all"},
                          {"attendee0": "accept-all", "attendee1": "decline-all",
                           "attendee2": "tentative-all"}):
            text = w.config_text(mailboxes) + FILLER
            w.write_file(conf, text)
            d.send(signal.SIGHUP)
        d.wait_log(r"configuration reloaded: 3 mailbox\(es\)")
        # Whatever was read in between, the last state is the last file's.
        e2e.wait_for(lambda: "reload: mailbox attendee2 added" in d.log(), 10,
                     "attendee2 added")
        mid = w.create_meeting(ctl, "After the burst",
                               required=["attendee0", "attendee1", "attendee2"])
        e2e.wait_for(lambda: len(w.answers(mid)) == 3, 20, "three answers")
        self.assertEqual(w.answers(mid), {A("attendee0"): ["Accept"],
                                          A("attendee1"): ["Decline"],
                                          A("attendee2"): ["Tentative"]})
        self.assertEqual(d.stop(signal.SIGTERM), 0)


if __name__ == "__main__":
    e2e.main()
