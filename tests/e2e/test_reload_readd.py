"""SIGHUP twice while a poll hangs on the server: the first reload removes a mailbox (it winds
down once its poll ends), the second adds it back before that happened. The mailbox must be
served again once the old poll ended, not silently dropped with the old instance."""

import signal

import e2e

A = e2e.addr


class ReloadReadd(e2e.TestCase):

    def test_mailbox_removed_and_added_back_during_a_poll(self):
        w = self.world(users=["organizer0", "attendee0", "attendee1"], hang_seconds=30)
        ctl = w.write_config({}, name="ctl.conf")
        both = {"attendee0": "accept-all", "attendee1": "accept-all"}
        conf = w.write_config({"attendee0": "accept-all"}, server={"timeout": "3s"})
        w.sim.set_faults(["hang:1.0:FindItem"])
        d = w.start_daemon(conf)
        e2e.wait_for(lambda: w.sim.stats()["operations"].get("FindItem", 0) > 0, 15,
                     "attendee0's poll to hang on the server")

        w.write_config({"attendee1": "accept-all"}, server={"timeout": "3s"})
        d.send(signal.SIGHUP)
        d.wait_log(r"reload: mailbox attendee0 removed")
        d.wait_log(r"configuration reloaded: 1 mailbox\(es\)")
        w.write_config(both, server={"timeout": "3s"})
        d.send(signal.SIGHUP)
        d.wait_log(r"configuration reloaded: 2 mailbox\(es\)")
        w.sim.set_faults([])

        # The hanging poll times out (3 s); attendee0 must then go on being served.
        mid = w.create_meeting(ctl, "After the mailbox came back", required=["attendee0"])
        e2e.wait_for(lambda: len(w.answers(mid)) == 1, 20, "attendee0's answer")
        self.assertEqual(w.answers(mid), {A("attendee0"): ["Accept"]})
        self.assertEqual(d.stop(signal.SIGTERM), 0)


if __name__ == "__main__":
    e2e.main()
