// A real SMTP server on loopback for the end-to-end run: Sitrep delivers customer
// messages and notifications to it, and it writes each mail it accepts to
// $E2E_MAIL_DIR as JSON ({from, to, data}), where the tests read them.
import { SMTPServer } from "smtp-server";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const port = Number(process.env.E2E_SMTP_PORT);
const dir = process.env.E2E_MAIL_DIR;
let received = 0;

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ["STARTTLS", "AUTH"],
  logger: false,
  onData(stream, session, done) {
    const chunks = [];
    stream.on("data", (chunk) => chunks.push(chunk));
    stream.on("end", () => {
      const mail = {
        from: session.envelope.mailFrom && session.envelope.mailFrom.address,
        to: session.envelope.rcptTo.map((r) => r.address),
        data: Buffer.concat(chunks).toString("utf8"),
      };
      writeFileSync(join(dir, `${Date.now()}-${received++}.json`), JSON.stringify(mail));
      done();
    });
  },
});
server.listen(port, "127.0.0.1");
