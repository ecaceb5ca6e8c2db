"""A GetStreamingEvents client for tests: one raw HTTP/1.1 connection whose chunked
response is read one chunk (one SOAP envelope) at a time, as it arrives."""

import base64
import socket
import xml.etree.ElementTree as ET

import simharness as h
from simharness import NS


class StreamClosed(Exception):
    """The server closed the connection before the last chunk (a dropped connection)."""


class Chunk:
    """One envelope of a streaming response."""

    def __init__(self, data):
        self.data = data
        self.root = ET.fromstring(data)
        self.msg = h.response_messages(self.root)[0]
        self.code = h.code(self.msg)
        self.status = self.msg.findtext("m:ConnectionStatus", namespaces=NS)
        self.error_ids = [e.text for e in self.msg.findall("m:ErrorSubscriptionIds/"
                                                           "t:SubscriptionId", NS)]

    def events(self):
        """[(subscription id, event name, item id)] in order."""
        out = []
        notes = self.msg.findall("m:Notifications/m:Notification", NS)
        # What Exchange sends; the schema's t:Notification would be a simulator bug.
        assert not self.msg.findall("m:Notifications/t:Notification", NS)
        for note in notes:
            sid = note.findtext("t:SubscriptionId", namespaces=NS)
            for event in note:
                if h.local(event.tag) == "SubscriptionId":
                    continue
                iid = event.find("t:ItemId", NS)
                out.append((sid, h.local(event.tag), iid.get("Id") if iid is not None
                            else None))
        return out


def subscribe_xml(folders=("inbox",), events=("NewMailEvent", "CreatedEvent",
                                              "ModifiedEvent")):
    return ("<m:Subscribe><m:StreamingSubscriptionRequest><t:FolderIds>%s</t:FolderIds>"
            "<t:EventTypes>%s</t:EventTypes></m:StreamingSubscriptionRequest></m:Subscribe>"
            % ("".join('<t:DistinguishedFolderId Id="%s"/>' % f for f in folders),
               "".join("<t:EventType>%s</t:EventType>" % e for e in events)))


def get_streaming_events_xml(ids, minutes=1):
    return ("<m:GetStreamingEvents><m:SubscriptionIds>%s</m:SubscriptionIds>"
            "<m:ConnectionTimeout>%d</m:ConnectionTimeout></m:GetStreamingEvents>"
            % ("".join("<t:SubscriptionId>%s</t:SubscriptionId>" % i for i in ids),
               minutes))


class StreamingConnection:
    """POST a GetStreamingEvents and read its chunks."""

    def __init__(self, sim, user, ids, minutes=1, impersonate=None, timeout=30.0,
                 headers=None):
        body = h.envelope(get_streaming_events_xml(ids, minutes), impersonate=impersonate)
        password = sim.passwords.get(user.lower(), h.DEFAULT_PASSWORD)
        auth = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        self.sock = socket.create_connection((sim.host, sim.port), timeout=timeout)
        self.file = self.sock.makefile("rb")
        head = ("POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: %s:%d\r\n"
                "Content-Type: text/xml; charset=utf-8\r\nAuthorization: Basic %s\r\n"
                "%sContent-Length: %d\r\n\r\n"
                % (sim.host, sim.port, auth,
                   "".join("%s: %s\r\n" % kv for kv in (headers or {}).items()), len(body)))
        self.sock.sendall(head.encode() + body)
        self.status_line = self.file.readline().decode().strip()
        self.headers = {}
        while True:
            line = self.file.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            k, _, v = line.decode().partition(":")
            self.headers[k.strip().lower()] = v.strip()
        self.finished = False

    def next_chunk(self):
        """The next envelope (Chunk); None after the last chunk; StreamClosed if the
        connection ends without it."""
        try:
            line = self.file.readline()
            if not line:
                raise StreamClosed()
            size = int(line.split(b";")[0].strip(), 16)
            if size == 0:
                self.file.readline()
                self.finished = True
                return None
            data = self.file.read(size)
            if len(data) < size:
                raise StreamClosed()
            self.file.readline()
        except ConnectionResetError:
            raise StreamClosed() from None
        return Chunk(data)

    def until(self, predicate):
        """Read chunks until predicate(chunk) holds; the chunks read, that one last."""
        seen = []
        while True:
            chunk = self.next_chunk()
            if chunk is None:
                raise AssertionError("the stream ended first: %r"
                                     % [c.data[:300] for c in seen])
            seen.append(chunk)
            if predicate(chunk):
                return seen

    def close(self):
        self.file.close()
        self.sock.close()
