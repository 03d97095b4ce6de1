# A mail catcher answering a subset of Mailpit's API: each message received on SMTP port 1025 is
# kept in memory and listed on http://:8025/api/v1/messages, newest first, as Mailpit lists them.
import json, threading, time, uuid
from email import message_from_bytes, policy
from email.utils import getaddresses
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from aiosmtpd.controller import Controller

messages = []
lock = threading.Lock()

def addresses(header):
    return [{'Name': name, 'Address': address} for name, address in getaddresses([header or ''])]

class Catcher:
    async def handle_DATA(self, server, session, envelope):
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        text = parsed.get_body(preferencelist=('plain',))
        html = parsed.get_body(preferencelist=('html',))
        with lock:
            messages.insert(0, {
                'ID': uuid.uuid4().hex,
                'MessageID': parsed.get('Message-ID', ''),
                'From': (addresses(parsed.get('From')) or [{}])[0],
                'To': addresses(parsed.get('To')),
                'Subject': parsed.get('Subject', ''),
                'Created': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
                'Text': text.get_content() if text else '',
                'HTML': html.get_content() if html else '',
            })
        return '250 Message accepted for delivery'

SUMMARY = ('ID', 'MessageID', 'From', 'To', 'Subject', 'Created')

class Api(BaseHTTPRequestHandler):
    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        path = self.path.split('?')[0]
        with lock:
            if path in ('/livez', '/readyz'):
                return self.reply(200, {'ok': True})
            if path == '/api/v1/messages':
                listed = [{key: each[key] for key in SUMMARY} for each in messages]
                return self.reply(200, {'total': len(listed), 'messages_count': len(listed), 'messages': listed})
            if path.startswith('/api/v1/message/'):
                found = [each for each in messages if each['ID'] == path.rsplit('/', 1)[1]]
                return self.reply(200, found[0]) if found else self.reply(404, {'error': 'not found'})
        self.reply(404, {'error': 'not in this stand-in: ' + path})

    def do_DELETE(self):
        if self.path.split('?')[0] != '/api/v1/messages':
            return self.reply(404, {'error': 'not found'})
        with lock:
            messages.clear()
        self.reply(200, {'ok': True})

    def log_message(self, *args):
        pass

Controller(Catcher(), hostname='0.0.0.0', port=1025).start()
try:
    ThreadingHTTPServer(('0.0.0.0', 8025), Api).serve_forever()
except KeyboardInterrupt:  # STOPSIGNAL SIGINT: PID 1 ignores an unhandled SIGTERM
    pass
