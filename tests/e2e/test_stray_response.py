"""A server that writes a stray second HTTP response after a fault (grommunio Gromox does,
after a fault on RemoveItem) must never have that response taken as another request's reply.

The simulator's --stray-response-after-fault makes the next request on a connection that
carried a SOAP fault get, first, a copy of the last successful response to the same operation
(another mailbox's GetItem answer, say), then its own. A client that reuses the connection
reads the stray copy as its reply and every later reply one request late: it decides on items
it never listed, in the wrong mailbox. meetingd closes every connection whose response was not
a plain 200, so the simulator never gets to write a stray response (it counts them).

Three mailboxes, each invited to meetings of its own, answered under a storm of ErrorServerBusy
faults (HTTP 500): every meeting is answered exactly once, by exactly its invitees, as their
policies say."""

import sys
import time

import e2e

ATTENDEES = ["attendee0", "attendee1", "attendee2"]
MAILBOXES = {"attendee0": "accept-all", "attendee1": "decline-all",
             "attendee2": "tentative-all"}
EXPECTED = {"attendee0": "Accept", "attendee1": "Decline", "attendee2": "Tentative"}
MEETINGS = 30
FAULTS = ["server-busy:0.35"]


class StrayResponse(e2e.TestCase):

    def test_stray_response_after_a_fault_is_never_a_reply(self):
        w = self.world(users=["organizer0"] + ATTENDEES, seed=5, backoff_ms=20,
                       sim_args=["--stray-response-after-fault"])
        # One answer per CreateItem (batch_size): enough requests for the faults to strike often.
        conf = w.write_config(MAILBOXES, daemon={"batch_size": "1"})
        invited = {}
        for n in range(MEETINGS):
            # Mostly one invitee each, so that one mailbox's items mean nothing to another.
            who = ATTENDEES[n % 3:n % 3 + 1] if n % 5 else ATTENDEES
            uid = w.uid_of(w.create_meeting(conf, "Stray %d" % n, required=who, n=n))
            invited[uid] = who
        want = sum(len(v) for v in invited.values())
        w.sim.set_faults(FAULTS)
        logs = ""
        deadline = time.monotonic() + 240 * e2e.SLOW
        while time.monotonic() < deadline:
            logs += w.once(conf, expect=None, timeout=240).stderr
            if sum(len(v) for v in w.responses().values()) >= want:
                break
        w.sim.set_faults([])
        logs += w.once(conf).stderr
        stats = w.sim.stats()

        faults = stats["faults_injected"].get("server-busy", 0)
        self.assertGreaterEqual(faults, 20, "too few faults to prove much")
        self.assertEqual(stats["stray_responses"], 0,
                         "a connection that carried a fault was used again")
        wrong = []
        for (uid, who), kinds in w.responses().items():
            user = who.split("@")[0]
            if uid not in invited or user not in invited[uid]:
                wrong.append("%s answered a meeting it was not invited to: %s" % (user, kinds))
            elif kinds != [EXPECTED[user]]:
                wrong.append("%s answered %s" % (user, kinds))
        answered = {(uid, who.split("@")[0]) for (uid, who) in w.responses()}
        for uid, who in invited.items():
            for user in who:
                if (uid, user) not in answered:
                    wrong.append("%s never answered %s" % (user, uid))
        self.assertEqual(wrong, [], logs[-3000:])
        print("%d answers, each exactly once and right, under %d SOAP faults; %d stray "
              "responses written" % (want, faults, stats["stray_responses"]), file=sys.stderr)


if __name__ == "__main__":
    e2e.main()
