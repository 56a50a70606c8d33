// The example's client: simple, blocking in style, one direction at a time
// except that it keeps an ear on the reply while sending.
#include "line_client.h"

#include <array>
#include <cstring>

namespace example {

Reply fetch(sockcheck::Transport& net, const sockcheck::Endpoint& server,
            std::string_view request, sockcheck::Duration timeout) {
  Reply reply;
  const sockcheck::TimePoint deadline = net.now() + timeout;
  sockcheck::ConnectResult c = net.connect(server, deadline);
  if (!c.connection) {
    reply.problem = "connect: " + c.error.message();
    return reply;
  }
  sockcheck::Connection& conn = *c.connection;
  std::size_t sent = 0;
  bool half_closed = false;
  bool eof = false;  // the server's FIN was read (it may still read from us)
  std::array<std::byte, 4096> buf{};
  while (net.now() < deadline) {
    if (eof && half_closed) {
      reply.ok = true;
      break;
    }
    if (!half_closed && sent == request.size()) {
      const auto r = conn.shutdown_write();
      if (r.ok()) {
        half_closed = true;
        continue;
      }
      if (sockcheck::is_interrupted(r.error)) continue;
      if (!sockcheck::is_would_block(r.error)) {
        reply.problem = "shutdown: " + r.error.message();
        break;
      }
      // EAGAIN: wait for writability below, then try again.
    }
    const auto w = conn.wait(!eof, !half_closed, deadline);
    if (w.error && !sockcheck::is_interrupted(w.error)) {
      reply.problem = "wait: " + w.error.message();
      break;
    }
    if (w.writable && !half_closed && sent < request.size()) {
      const auto r = conn.send(std::as_bytes(std::span(request.substr(sent))));
      if (r.ok()) {
        sent += r.bytes;
      } else if (!sockcheck::is_interrupted(r.error) && !sockcheck::is_would_block(r.error)) {
        reply.problem = "send: " + r.error.message();
        break;
      }
    }
    if (w.readable && !eof) {
      const auto r = conn.recv(buf);
      if (r.ok() && r.bytes == 0) {
        eof = true;  // finish sending; success once our FIN is out
        continue;
      }
      if (r.ok()) {
        reply.body.append(reinterpret_cast<const char*>(buf.data()), r.bytes);
      } else if (!sockcheck::is_interrupted(r.error) && !sockcheck::is_would_block(r.error)) {
        reply.problem = "recv: " + r.error.message();
        break;
      }
    }
  }
  if (!reply.ok && reply.problem.empty()) reply.problem = "timed out";
  conn.close();
  return reply;
}

}  // namespace example
