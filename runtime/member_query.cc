#include "runtime/member_query.h"

#include <algorithm>
#include <iterator>
#include <zmq_addon.hpp>

#include "runtime/envelope.h"

namespace ist::rt {

namespace {

constexpr std::uint64_t kRequestId = 1;  // the socket is private to one call: one request in flight
constexpr std::size_t kMaxAnswerBytes = std::size_t{64} << 20;

std::chrono::milliseconds left_until(Deadline deadline) {
  return std::max(std::chrono::milliseconds(0),
                  std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()));
}

}  // namespace

Result<std::vector<Member>> query_members(const std::string& head_endpoint, Deadline deadline,
                                          const ClusterKey* key) {
  try {
    zmq::context_t ctx(1);
    zmq::socket_t s(ctx, zmq::socket_type::dealer);
    s.set(zmq::sockopt::linger, 0);  // an unanswered query must not hold up the context's teardown
    s.set(zmq::sockopt::maxmsgsize, static_cast<std::int64_t>(kMaxAnswerBytes));
    if (key != nullptr) {
      if (Status secured = key->make_client(s); !secured.ok()) return secured;
    }
    try {
      s.connect(head_endpoint);
    } catch (const zmq::error_t& e) {
      return Status::invalid_argument("cannot connect to head endpoint '" + head_endpoint + "': " + e.what());
    }
    Envelope request;
    request.header.kind = Kind::kQueryMembers;
    request.header.request_id = kRequestId;
    request.payload = pack_args();
    auto frames = encode_envelope(request);
    // The DEALER queues the request until the connection is up; sending never blocks (no peer is not full).
    zmq::send_multipart(s, frames, zmq::send_flags::dontwait);

    zmq::pollitem_t item{s.handle(), 0, ZMQ_POLLIN, 0};
    for (;;) {
      const auto wait = left_until(deadline);
      if (zmq::poll(&item, 1, wait) == 0) {
        if (Clock::now() >= deadline) {
          return Status::timeout("no answer from a head at " + head_endpoint +
                                 " before the deadline (is it running?)");
        }
        continue;
      }
      std::vector<zmq::message_t> reply;
      if (!zmq::recv_multipart(s, std::back_inserter(reply), zmq::recv_flags::dontwait)) continue;
      Decoded d = decode_envelope(reply, kMaxAnswerBytes);
      if (!d.status.ok()) return d.status.with_context("answer from " + head_endpoint);
      if (d.header->kind != Kind::kReply || d.header->request_id != kRequestId) continue;  // not ours
      if (Status s_err = d.header->status(); !s_err.ok())
        return s_err.with_context("head at " + head_endpoint);
      auto members = unpack_one<std::vector<Member>>(d.payload);
      if (!members.ok()) return members.status().with_context("member table from " + head_endpoint);
      return members;
    }
  } catch (const zmq::error_t& e) {
    return Status::io_error("querying members of " + head_endpoint + ": " + e.what());
  }
}

}  // namespace ist::rt
