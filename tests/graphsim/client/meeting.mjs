// One step of a meeting's life through the Microsoft Graph JavaScript client, against graphsim.
// Usage: node meeting.mjs STEP   with the step's input as JSON on stdin; prints JSON on stdout.
//   create  {organizer, subject, start, end, attendees: [[address, type], ...]} -> the event
//   inbox   {user}                 -> eventMessageRequest messages, event expanded
//   status  {organizer, id}        -> [{address, type, response}]
//   cancel  {organizer, id, comment}
// Environment: GRAPH_HOST (host:port, HTTPS), GRAPH_TENANT, GRAPH_CLIENT_ID, GRAPH_CLIENT_SECRET.
import { Client } from "@microsoft/microsoft-graph-client";

const host = process.env.GRAPH_HOST;

// Client credentials against the simulator's Entra-shaped token endpoint.
class ClientCredentials {
  async getAccessToken() {
    const form = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: process.env.GRAPH_CLIENT_ID,
      client_secret: process.env.GRAPH_CLIENT_SECRET,
      scope: "https://graph.microsoft.com/.default",
    });
    const url = `https://${host}/${process.env.GRAPH_TENANT}/oauth2/v2.0/token`;
    const reply = await fetch(url, { method: "POST", body: form });
    if (!reply.ok) throw new Error(`token endpoint: ${reply.status} ${await reply.text()}`);
    return (await reply.json()).access_token;
  }
}

const client = Client.initWithMiddleware({
  authProvider: new ClientCredentials(),
  baseUrl: `https://${host}/`,
  defaultVersion: "v1.0",
  customHosts: new Set([host.split(":")[0]]),
});

const steps = {
  async create(a) {
    const event = {
      subject: a.subject,
      body: { contentType: "text", content: `Agenda: ${a.subject}` },
      start: { dateTime: a.start, timeZone: "UTC" },
      end: { dateTime: a.end, timeZone: "UTC" },
      location: { displayName: "Room 0" },
      attendees: a.attendees.map(([address, type]) => ({ emailAddress: { address }, type })),
    };
    return client.api(`/users/${a.organizer}/events`).post(event);
  },
  async inbox(a) {
    const page = await client
      .api(`/users/${a.user}/mailFolders/inbox/messages`)
      .expand("microsoft.graph.eventMessage/event")
      .top(50)
      .get();
    return page.value.filter((m) => m["@odata.type"] === "#microsoft.graph.eventMessageRequest");
  },
  async status(a) {
    const event = await client.api(`/users/${a.organizer}/events/${a.id}`).get();
    return event.attendees.map((x) => ({
      address: x.emailAddress.address, type: x.type, response: x.status.response,
    }));
  },
  async cancel(a) {
    await client.api(`/users/${a.organizer}/events/${a.id}/cancel`).post({ comment: a.comment });
    return { cancelled: a.id };
  },
};

let input = "";
for await (const chunk of process.stdin) input += chunk;
try {
  const result = await steps[process.argv[2]](JSON.parse(input));
  process.stdout.write(JSON.stringify(result) + "\n");
} catch (err) {
  process.stderr.write(`graph client: ${err.statusCode ?? ""} ${err.code ?? ""} ${err.message}\n`);
  process.exit(1);
}
