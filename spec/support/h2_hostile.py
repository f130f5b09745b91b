"""A hostile HTTP/2 server over TLS, for spec/http2_at_most_once_spec.lua.

It answers the Scenario API's create (POST /v1/models) and get_model
(GET /v1/models/<id>) with fixed bodies, except that the requests it
receives are matched, in the order their streams end (END_STREAM), with
the actions of --script:

  ok            answer 200 with the body for the path
  drop          close the TCP connection without a byte of answer
  goaway        GOAWAY whose last_stream_id is this stream (so it was
                processed, RFC 9113 6.8), then close
  goaway-lower  GOAWAY whose last_stream_id is below this stream (so it
                was not processed), then close
  refuse        RST_STREAM REFUSED_STREAM on this stream (not processed,
                RFC 9113 8.7); the connection stays up

Requests past the end of the script are answered ok. A client that does
not negotiate h2 is closed on. Every request is
logged to --log as one JSON line, flushed before the server acts on it,
so that a client that has its answer (or its error) finds the line there.

It binds 127.0.0.1 on a port of the system's choosing, written to
--port-file once it listens, and exits on SIGTERM, or by itself after
--lifetime seconds so that a spec that dies cannot leave it behind.
"""

import argparse
import json
import os
import socket
import ssl
import threading
import time

import h2.config
import h2.connection
import h2.errors
import h2.events


ACTIONS = ("ok", "drop", "goaway", "goaway-lower", "refuse")


class Server:
    def __init__(self, args):
        self.script = [a for a in args.script.split(",") if a]
        for action in self.script:
            if action not in ACTIONS:
                raise SystemExit("h2_hostile: unknown action %r" % action)
        with open(args.create_body, "rb") as f:
            self.create_body = f.read()
        with open(args.get_body, "rb") as f:
            self.get_body = f.read()
        self.log = open(args.log, "a", encoding="utf-8")
        self.lock = threading.Lock()
        self.requests = 0
        self.connections = 0

    def next_connection(self):
        with self.lock:
            self.connections += 1
            return self.connections

    def take_action(self, record):
        """The script's action for the next request; logs the request with it."""
        with self.lock:
            n = self.requests
            self.requests += 1
            action = self.script[n] if n < len(self.script) else "ok"
            record["n"] = n + 1
            record["action"] = action
            self.log.write(json.dumps(record) + "\n")
            self.log.flush()
            return action

    def answer_for(self, method, path):
        if method == "POST" and path == "/v1/models":
            return 200, self.create_body
        if method == "GET" and path.startswith("/v1/models/"):
            return 200, self.get_body
        return 404, b'{"error":"not found"}'


def close_after_flush(sock):
    """Closes with a FIN after what was sent, never a RST: the client reads
    every frame sent before the close, whatever it still had in flight to us."""
    try:
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(2)
        while sock.recv(65536):
            pass
    except OSError:
        pass
    finally:
        sock.close()


def serve_connection(server, raw, ctx):
    conn_id = server.next_connection()
    raw.settimeout(10)
    try:
        sock = ctx.wrap_socket(raw, server_side=True)
    except OSError:
        # A client may connect and leave at once (libcurl does, when it
        # gives up a request it opened a connection for): nothing to serve.
        raw.close()
        return
    try:
        if sock.selected_alpn_protocol() == "h2":
            serve_h2(server, sock, conn_id)
    except OSError:
        pass
    finally:
        sock.close()


def serve_h2(server, sock, conn_id):
    h2c = h2.connection.H2Connection(
        config=h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
    h2c.initiate_connection()
    sock.sendall(h2c.data_to_send())
    streams = {}
    while True:
        data = sock.recv(65536)
        if not data:
            return
        for event in h2c.receive_data(data):
            if isinstance(event, h2.events.RequestReceived):
                streams[event.stream_id] = {"headers": dict(event.headers), "body": b""}
            elif isinstance(event, h2.events.DataReceived):
                streams[event.stream_id]["body"] += event.data
                h2c.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                stream = streams.pop(event.stream_id)
                if not act(server, h2c, sock, conn_id, event.stream_id, stream):
                    return
            elif isinstance(event, h2.events.ConnectionTerminated):
                sock.sendall(h2c.data_to_send())
                close_after_flush(sock)
                return
        sock.sendall(h2c.data_to_send())


def act(server, h2c, sock, conn_id, stream_id, stream):
    """Carries out the script for one whole request; False once the
    connection is closed."""
    headers = stream["headers"]
    method, path = headers.get(":method"), headers.get(":path", "")
    action = server.take_action({
        "connection": conn_id, "stream": stream_id, "method": method,
        "path": path, "body": stream["body"].decode("utf-8", "replace"),
    })
    if action == "ok":
        status, body = server.answer_for(method, path.split("?")[0])
        h2c.send_headers(stream_id, [
            (":status", str(status)),
            ("content-type", "application/json"),
            ("content-length", str(len(body))),
        ])
        size = h2c.max_outbound_frame_size
        chunks = [body[i:i + size] for i in range(0, len(body), size)] or [b""]
        for i, chunk in enumerate(chunks):
            h2c.send_data(stream_id, chunk, end_stream=i == len(chunks) - 1)
        return True
    if action == "refuse":
        h2c.reset_stream(stream_id, error_code=h2.errors.ErrorCodes.REFUSED_STREAM)
        return True
    if action in ("goaway", "goaway-lower"):
        last = stream_id if action == "goaway" else max(stream_id - 2, 0)
        h2c.close_connection(error_code=h2.errors.ErrorCodes.NO_ERROR, last_stream_id=last)
    # drop sends nothing new; frames already queued (SETTINGS and WINDOW_UPDATE
    # acks) go out, so the connection dies as a quiet one would.
    sock.sendall(h2c.data_to_send())
    close_after_flush(sock)
    return False


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--create-body", required=True)
    p.add_argument("--get-body", required=True)
    p.add_argument("--script", default="")
    p.add_argument("--lifetime", type=float, default=30)
    args = p.parse_args()

    server = Server(args)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    ctx.set_alpn_protocols(["h2"])

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    # Written whole, then renamed: the spec never reads half a port.
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(listener.getsockname()[1]))
    os.rename(tmp, args.port_file)

    deadline = time.monotonic() + args.lifetime
    while time.monotonic() < deadline:
        try:
            raw, _ = listener.accept()
        except socket.timeout:
            continue
        threading.Thread(target=serve_connection, args=(server, raw, ctx), daemon=True).start()


if __name__ == "__main__":
    main()
