"""Streaming notifications on the simulator: Subscribe, GetStreamingEvents (chunked, with
heartbeats, many subscriptions per connection), Unsubscribe; unknown and expired
subscriptions, dropped connections, the connection timeout, and a server without
streaming. Every envelope, each chunk included, is validated against the schema
(Sim.stop() fails on an invalid one)."""

import json
import os
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simharness as h  # noqa: E402
from streamclient import (StreamClosed, StreamingConnection, get_streaming_events_xml,  # noqa
                          subscribe_xml)

h.skip_without_schema()

ORG = "organizer@example.com"
ROOMS = ["room%d@example.com" % i for i in range(3)]
SVC = "svc@example.com"
SVC_PW = "svc-pw"
# A ConnectionTimeout minute lasts 3 s here and heartbeats come every 0.2 s, so that a
# test sees both without waiting long; nothing below asserts a duration.
SIM_ARGS = ["--heartbeat-seconds", "0.2", "--streaming-minute-seconds", "3"]


class StreamingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = h.Sim(mailboxes=[ORG] + ROOMS, impersonators=[SVC + ":" + SVC_PW],
                        extra_args=SIM_ARGS).start()
        cls.org = h.Ews(cls.sim, ORG)

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def as_service(self, room):
        return h.Ews(self.sim, SVC, SVC_PW, impersonate=room)

    def subscribe(self, room):
        msg = self.as_service(room).ok(subscribe_xml())[0]
        sid = msg.findtext("m:SubscriptionId", namespaces=h.NS)
        self.assertTrue(sid)
        return sid

    def stream(self, ids, room=ROOMS[0], minutes=1):
        conn = StreamingConnection(self.sim, SVC, ids, minutes, impersonate=room)
        self.addCleanup(conn.close)
        self.assertEqual(conn.status_line.split()[1], "200")
        self.assertEqual(conn.headers.get("transfer-encoding"), "chunked")
        return conn

    def invite(self, subject, rooms):
        self.org.create_meeting(subject, "2031-05-05T09:00:00Z", "2031-05-05T10:00:00Z",
                                required=rooms)
        return {r: [i for i in self.sim.mailbox(r)["inbox"] if i["subject"] == subject][-1]
                for r in rooms}

    def test_invitation_during_an_open_request_is_an_event_within_it(self):
        sid = self.subscribe(ROOMS[0])
        conn = self.stream([sid])
        first = conn.next_chunk()
        self.assertEqual((first.code, first.status), ("NoError", "OK"))  # a heartbeat
        request = self.invite("streamed invitation", [ROOMS[0]])[ROOMS[0]]
        chunks = conn.until(lambda c: c.events())
        events = chunks[-1].events()
        self.assertIn((sid, "CreatedEvent", request["id"]), events)
        self.assertIn((sid, "NewMailEvent", request["id"]), events)
        # The same request then runs to its timeout: ConnectionStatus Closed, last chunk.
        conn.until(lambda c: c.status == "Closed")
        self.assertIsNone(conn.next_chunk())

    def test_many_subscriptions_and_an_unknown_one_in_one_request(self):
        sids = [self.subscribe(r) for r in ROOMS]
        conn = self.stream(sids + ["AAAAbm90IGEgc3Vic2NyaXB0aW9u"])
        first = conn.next_chunk()
        self.assertEqual(first.code, "ErrorSubscriptionNotFound")
        self.assertEqual(first.error_ids, ["AAAAbm90IGEgc3Vic2NyaXB0aW9u"])
        requests = self.invite("streamed to two", ROOMS[1:])
        got = set()
        while not {(sids[1], requests[ROOMS[1]]["id"]),
                   (sids[2], requests[ROOMS[2]]["id"])} <= got:
            chunk = conn.next_chunk()
            self.assertIsNotNone(chunk)
            got |= {(s, i) for s, name, i in chunk.events() if name == "NewMailEvent"}
        # Nothing happened to room0: none of its subscription's events.
        self.assertFalse([g for g in got if g[0] == sids[0]])

    def test_modified_event_when_the_room_answers(self):
        sid = self.subscribe(ROOMS[0])
        request = self.invite("streamed modify", [ROOMS[0]])[ROOMS[0]]
        conn = self.stream([sid])
        # Events of the invitation, queued before the connection, come first.
        conn.until(lambda c: any(i == request["id"] for _, _, i in c.events()))
        self.as_service(ROOMS[0]).ok(
            '<m:UpdateItem ConflictResolution="AlwaysOverwrite" MessageDisposition="SaveOnly">'
            '<m:ItemChanges><t:ItemChange><t:ItemId Id="%s"/><t:Updates><t:SetItemField>'
            '<t:FieldURI FieldURI="message:IsRead"/><t:Message><t:IsRead>true</t:IsRead>'
            "</t:Message></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges>"
            "</m:UpdateItem>" % request["id"])
        conn.until(lambda c: (sid, "ModifiedEvent", request["id"]) in c.events())

    def test_dropped_connection_loses_no_event(self):
        sid = self.subscribe(ROOMS[1])
        conn = self.stream([sid], room=ROOMS[1])
        conn.next_chunk()
        self.assertEqual(self.sim.request("POST", "/sim/streaming/drop", b"").status, 200)
        with self.assertRaises(StreamClosed):
            while True:
                if conn.next_chunk() is None:
                    self.fail("a dropped connection sent its last chunk")
        request = self.invite("sent while disconnected", [ROOMS[1]])[ROOMS[1]]
        again = self.stream([sid], room=ROOMS[1])
        again.until(lambda c: (sid, "NewMailEvent", request["id"]) in c.events())

    def test_expired_subscription(self):
        sid = self.subscribe(ROOMS[2])
        conn = self.stream([sid], room=ROOMS[2])
        conn.next_chunk()
        resp = self.sim.request("POST", "/sim/subscriptions/expire", ROOMS[2].encode())
        self.assertEqual(resp.status, 200)
        chunks = conn.until(lambda c: c.code != "NoError")
        self.assertEqual(chunks[-1].code, "ErrorExpiredSubscription")
        self.assertEqual(chunks[-1].error_ids, [sid])
        conn.until(lambda c: c.status == "Closed")
        self.assertIsNone(conn.next_chunk())
        later = self.stream([sid], room=ROOMS[2])
        self.assertEqual(later.next_chunk().code, "ErrorExpiredSubscription")
        self.assertIsNone(later.next_chunk())
        # A new subscription works.
        fresh = self.subscribe(ROOMS[2])
        request = self.invite("after expiry", [ROOMS[2]])[ROOMS[2]]
        self.stream([fresh], room=ROOMS[2]).until(
            lambda c: (fresh, "NewMailEvent", request["id"]) in c.events())

    def test_newest_connection_takes_a_subscription_over(self):
        sid = self.subscribe(ROOMS[0])
        old = self.stream([sid])
        old.next_chunk()
        new = self.stream([sid])
        new.next_chunk()
        old.until(lambda c: c.status == "Closed")
        self.assertIsNone(old.next_chunk())

    def test_unsubscribe(self):
        sid = self.subscribe(ROOMS[0])
        svc = self.as_service(ROOMS[0])
        svc.ok("<m:Unsubscribe><m:SubscriptionId>%s</m:SubscriptionId></m:Unsubscribe>" % sid)
        resp = svc.call("<m:Unsubscribe><m:SubscriptionId>%s</m:SubscriptionId>"
                        "</m:Unsubscribe>" % sid)
        self.assertEqual(resp.codes(), ["ErrorSubscriptionNotFound"])
        conn = self.stream([sid])
        self.assertEqual(conn.next_chunk().code, "ErrorSubscriptionNotFound")
        self.assertIsNone(conn.next_chunk())

    def test_keep_alive_after_the_last_chunk(self):
        """A stream that ended normally leaves the connection usable (HTTP/1.1)."""
        sid = self.subscribe(ROOMS[0])
        conn = self.stream([sid])
        conn.until(lambda c: c.status == "Closed")
        self.assertIsNone(conn.next_chunk())
        conn.sock.sendall(b"GET /sim/stats HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertTrue(conn.file.readline().startswith(b"HTTP/1.1 200"))

    def test_subscriptions_belong_to_the_account_that_made_them(self):
        sid = self.subscribe(ROOMS[0])  # the service account, impersonating room0
        own = StreamingConnection(self.sim, ROOMS[0], [sid], 1)  # room0 itself
        self.addCleanup(own.close)
        first = own.next_chunk()
        self.assertEqual(first.code, "ErrorSubscriptionAccessDenied")
        self.assertEqual(first.error_ids, [sid])
        self.assertIsNone(own.next_chunk())
        resp = h.Ews(self.sim, ROOMS[0]).call(
            "<m:Unsubscribe><m:SubscriptionId>%s</m:SubscriptionId></m:Unsubscribe>" % sid)
        self.assertEqual(resp.codes(), ["ErrorSubscriptionAccessDenied"])

    def test_pull_subscriptions_are_refused(self):
        resp = self.as_service(ROOMS[0]).call(
            "<m:Subscribe><m:PullSubscriptionRequest><t:FolderIds>"
            '<t:DistinguishedFolderId Id="inbox"/></t:FolderIds><t:EventTypes>'
            "<t:EventType>NewMailEvent</t:EventType></t:EventTypes><t:Timeout>10</t:Timeout>"
            "</m:PullSubscriptionRequest></m:Subscribe>")
        self.assertEqual(resp.codes(), ["ErrorInvalidSubscriptionRequest"])


class ConcurrentStreamsTest(unittest.TestCase):
    def test_streams_of_several_clients_at_once(self):
        with h.Sim(mailboxes=[ORG] + ROOMS, extra_args=SIM_ARGS) as sim:
            results = {}

            def run(room):
                ews = h.Ews(sim, room)
                sid = ews.ok(subscribe_xml())[0].findtext("m:SubscriptionId",
                                                          namespaces=h.NS)
                conn = StreamingConnection(sim, room, [sid], 1)
                try:
                    conn.next_chunk()
                    streaming.release()
                    ready.wait()
                    results[room] = conn.until(
                        lambda c: any(n == "NewMailEvent" for _, n, _ in c.events()))
                finally:
                    conn.close()

            ready = threading.Event()
            streaming = threading.Semaphore(0)
            threads = [threading.Thread(target=run, args=(r,)) for r in ROOMS]
            for th in threads:
                th.start()
            for _ in ROOMS:  # every client subscribed and streaming
                self.assertTrue(streaming.acquire(timeout=60))
            h.Ews(sim, ORG).create_meeting("to all rooms", "2031-05-06T09:00:00Z",
                                           "2031-05-06T10:00:00Z", required=ROOMS)
            ready.set()
            for th in threads:
                th.join(60)
            self.assertEqual(sorted(results), sorted(ROOMS))


class ConnectionLimitTest(unittest.TestCase):
    def test_one_connection_too_many(self):
        args = SIM_ARGS + ["--hanging-connection-limit", "2"]
        with h.Sim(mailboxes=ROOMS[:2], impersonators=[SVC + ":" + SVC_PW],
                   extra_args=args) as sim:
            svc = h.Ews(sim, SVC, SVC_PW, impersonate=ROOMS[0])
            sids = [svc.ok(subscribe_xml())[0].findtext("m:SubscriptionId", namespaces=h.NS)
                    for _ in range(4)]
            conns = [StreamingConnection(sim, SVC, [sids[i]], 1, impersonate=ROOMS[0])
                     for i in range(2)]
            for conn in conns:
                self.addCleanup(conn.close)
                self.assertEqual(conn.next_chunk().code, "NoError")
            over = svc.call(get_streaming_events_xml([sids[2]]))
            self.assertEqual(over.codes(), ["ErrorExceededConnectionCount"])
            # Charged to the impersonated mailbox: another one has its own budget.
            other = StreamingConnection(sim, SVC, [sids[2]], 1, impersonate=ROOMS[1])
            self.addCleanup(other.close)
            self.assertEqual(other.next_chunk().code, "NoError")
            # A connection that ended gives its place back.
            conns[0].until(lambda c: c.status == "Closed")
            again = StreamingConnection(sim, SVC, [sids[3]], 1, impersonate=ROOMS[0])
            self.addCleanup(again.close)
            self.assertEqual(again.next_chunk().code, "NoError")


class AffinityTest(unittest.TestCase):
    """Three Mailbox servers behind the EWS URL (--mailbox-servers 3), one room on each: a
    group of subscriptions stays on one server only through the affinity headers and cookie
    of "Maintain affinity between a group of subscriptions and the Mailbox server"."""

    @classmethod
    def setUpClass(cls):
        cls.sim = h.Sim(mailboxes=[ORG] + ROOMS, impersonators=[SVC + ":" + SVC_PW],
                        extra_args=SIM_ARGS + ["--mailbox-servers", "3"]).start()
        cls.org = h.Ews(cls.sim, ORG)

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def post(self, room, body, headers=None):
        return self.sim.post(h.envelope(body, impersonate=room), SVC, SVC_PW, headers=headers)

    def subscribe(self, room, headers=None):
        resp = self.post(room, subscribe_xml(), headers)
        self.assertEqual(resp.codes(), ["NoError"])
        return resp.messages()[0].findtext("m:SubscriptionId", namespaces=h.NS), resp

    def servers(self, ids):
        held = json.loads(self.sim.request("GET", "/sim/subscriptions").body)
        return [s["server"] for i in ids for s in held["subscriptions"] if s["id"] == i]

    def test_without_affinity_the_group_is_spread(self):
        (a, resp), (b, _) = self.subscribe(ROOMS[0]), self.subscribe(ROOMS[1])
        self.assertIsNone(resp.header("Set-Cookie"))
        self.assertEqual(len(set(self.servers([a, b]))), 2)
        conn = StreamingConnection(self.sim, SVC, [a, b], impersonate=ROOMS[0],
                                   headers={"X-AnchorMailbox": ROOMS[0],
                                            "X-PreferServerAffinity": "true"})
        self.addCleanup(conn.close)
        first = conn.next_chunk()
        self.assertEqual((first.code, first.error_ids), ("ErrorSubscriptionNotFound", [b]))

    def test_the_anchors_cookie_keeps_the_group_together(self):
        anchor = {"X-AnchorMailbox": ROOMS[0], "X-PreferServerAffinity": "true"}
        a, resp = self.subscribe(ROOMS[0], anchor)
        cookie = resp.header("Set-Cookie")
        self.assertTrue(cookie.startswith("X-BackEndOverrideCookie="), cookie)
        group = dict(anchor, Cookie=cookie.split(";")[0])
        (b, resp_b), (c, _) = self.subscribe(ROOMS[1], group), self.subscribe(ROOMS[2], group)
        self.assertIsNone(resp_b.header("Set-Cookie"))  # the client keeps the anchor's
        self.assertEqual(len(set(self.servers([a, b, c]))), 1)
        conn = StreamingConnection(self.sim, SVC, [a, b, c], impersonate=ROOMS[1],
                                   headers=group)
        self.addCleanup(conn.close)
        items = self.invite_rooms("Kept together", ROOMS[1:])
        got = conn.until(lambda ch: {i for _, _, i in ch.events()} & {items[ROOMS[2]]})
        self.assertTrue(all(ch.code == "NoError" for ch in got))
        # Unsubscribe reaches the subscription only where it lives.
        unsub = "<m:Unsubscribe><m:SubscriptionId>%s</m:SubscriptionId></m:Unsubscribe>" % c
        self.assertEqual(self.post(ROOMS[2], unsub).codes(), ["ErrorSubscriptionNotFound"])
        self.assertEqual(self.post(ROOMS[2], unsub, group).codes(), ["NoError"])

    def invite_rooms(self, subject, rooms):
        self.org.create_meeting(subject, "2031-05-06T09:00:00Z", "2031-05-06T10:00:00Z",
                                required=rooms)
        return {r: [i for i in self.sim.mailbox(r)["inbox"] if i["subject"] == subject][-1]["id"]
                for r in rooms}


class WithoutStreamingTest(unittest.TestCase):
    def test_subscribe_and_get_streaming_events_fail_validation(self):
        with h.Sim(mailboxes=[ROOMS[0]], extra_args=["--no-streaming"]) as sim:
            ews = h.Ews(sim, ROOMS[0])
            resp = ews.call(subscribe_xml(), expect_status=500)
            self.assertEqual(resp.fault_code(), "ErrorSchemaValidation")
            resp = ews.call(get_streaming_events_xml(["AAAA"]), expect_status=500)
            self.assertEqual(resp.fault_code(), "ErrorSchemaValidation")
            # SyncFolderItems still works: the next step of a fallback chain.
            resp = ews.call("<m:SyncFolderItems><m:ItemShape><t:BaseShape>IdOnly"
                            "</t:BaseShape></m:ItemShape><m:SyncFolderId>"
                            '<t:DistinguishedFolderId Id="inbox"/></m:SyncFolderId>'
                            "<m:MaxChangesReturned>10</m:MaxChangesReturned>"
                            "</m:SyncFolderItems>")
            self.assertEqual(resp.codes(), ["NoError"])


if __name__ == "__main__":
    unittest.main()
