"""A mailbox pauses, loudly but once, while its state cannot be written.

The daemon answers two meetings; then the decision record (STATE_DIR/decisions.jsonl) is
replaced by a directory, so no decision can be recorded, and three more meetings arrive.
Each mailbox must then send nothing, log ONE error when the episode starts (not one per
attempt, however many polls pass) and show itself paused on the metrics page; when the
directory goes, each logs ONE notice, answers the rest exactly once, and every answer is in
the decision record."""

import os
import re
import signal

import e2e
import metricspage

ATTENDEES = {"attendee0": "Accept", "attendee1": "Decline"}
BEFORE, DURING = 2, 3


class StatePaused(e2e.TestCase):

    def test_record_replaced_by_a_directory(self):
        w = self.world(users=["organizer0"] + list(ATTENDEES))
        address = "127.0.0.1:%d" % metricspage.free_port()
        conf = w.write_config({"attendee0": "accept-all", "attendee1": "decline-all"},
                              daemon={"metrics_listen": address})
        d = w.start_daemon(conf)
        d.wait_log(r"metrics at http://%s/metrics" % re.escape(address))

        def paused():
            page = metricspage.samples(metricspage.scrape(address))
            return {m: page[("meetingd_mailbox_paused", '{mailbox="%s"}' % m)]
                    for m in ATTENDEES}

        for n in range(BEFORE):
            w.create_meeting(conf, "Before %d" % n, required=list(ATTENDEES), n=n)
        e2e.wait_for(lambda: len([r for r in w.decisions() if r["outcome"] == "sent"])
                     >= BEFORE * len(ATTENDEES), 60, "the first answers recorded")
        self.assertEqual(paused(), {m: 0 for m in ATTENDEES})

        record = os.path.join(w.state_dir, "decisions.jsonl")
        os.rename(record, record + ".saved")
        os.mkdir(record)
        for n in range(BEFORE, BEFORE + DURING):
            w.create_meeting(conf, "During %d" % n, required=list(ATTENDEES), n=n)
        for m in ATTENDEES:
            d.wait_log(r"mailbox %s: cannot write the decision record" % m, timeout=60)
        e2e.wait_for(lambda: all(paused().values()), 30, "both mailboxes shown paused")
        answered = w.count_responses()
        requests = w.sim.stats()["requests"]
        e2e.wait_for(lambda: w.sim.stats()["requests"] > requests + 20, 60,
                     "more polls while paused")
        self.assertEqual(w.count_responses(), answered, "answered while nothing is recorded")
        self.assertEqual(answered, BEFORE * len(ATTENDEES))

        os.rmdir(record)
        for m in ATTENDEES:
            d.wait_log(r"mailbox %s: its state can be written again" % m, timeout=60)
        want = (BEFORE + DURING) * len(ATTENDEES)
        e2e.wait_for(lambda: w.count_responses() >= want and len(
            [r for r in w.decisions() if r["outcome"] == "sent"]) >= DURING * len(ATTENDEES),
            60, "the rest answered and recorded")
        self.assertEqual(paused(), {m: 0 for m in ATTENDEES})
        self.assertEqual(d.stop(signal.SIGTERM), 0)
        log = d.log()
        for m in ATTENDEES:
            self.assertEqual(len(re.findall(r"mailbox %s: cannot write" % m, log)), 1, log)
            self.assertEqual(len(re.findall(r"mailbox %s: its state can be written again" % m,
                                            log)), 1, log)
        responses = w.responses()
        self.assertEqual(sorted(len(v) for v in responses.values()), [1] * want)
        for (uid, who), kinds in responses.items():
            self.assertEqual(kinds, [ATTENDEES[who.split("@")[0]]])
        # The new file holds every answer of the paused meetings, each once.
        sent = [(r["mailbox"], r["uid"]) for r in w.decisions() if r["outcome"] == "sent"]
        self.assertEqual(len(sent), DURING * len(ATTENDEES))
        self.assertEqual(len(set(sent)), len(sent))


if __name__ == "__main__":
    e2e.main()
