#include "runtime/envelope.h"

#include <exception>

#include "runtime/utf8.h"

namespace ist::rt {

namespace {
constexpr std::uint32_t kHeaderFields = 12;
}  // namespace

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::kCall: return "call";
    case Kind::kReply: return "reply";
    case Kind::kTell: return "tell";
    case Kind::kSpawn: return "spawn";
    case Kind::kKill: return "kill";
    case Kind::kTagged: return "tagged";
    case Kind::kJoin: return "join";
    case Kind::kLeave: return "leave";
    case Kind::kHeartbeat: return "heartbeat";
    case Kind::kHeartbeatAck: return "heartbeat-ack";
    case Kind::kMembership: return "membership";
    case Kind::kRegisterName: return "register-name";
    case Kind::kLookupName: return "lookup-name";
    case Kind::kQueryMembers: return "query-members";
  }
  return "unknown";
}

namespace {

// Per message, a fresh msgpack buffer or zone would cost an 8 KiB allocation and its free: each thread
// that encodes or decodes headers keeps one and clears it.
msgpack::sbuffer& header_buffer() {
  thread_local msgpack::sbuffer buf(256);
  buf.clear();
  return buf;
}

msgpack::zone& header_zone() {
  thread_local msgpack::zone zone(1024);
  zone.clear();
  return zone;
}

void pack_header(msgpack::sbuffer& buf, const Header& h) {
  msgpack::packer<msgpack::sbuffer> pk(buf);
  pk.pack_array(kHeaderFields);
  pk.pack(h.version);
  pk.pack(static_cast<std::uint8_t>(h.kind));
  pk.pack(h.src_node);
  pk.pack(h.src_endpoint);
  pk.pack(h.src_actor);
  pk.pack(h.dst_node);
  pk.pack(h.dst_actor);
  pk.pack(h.method);
  pk.pack(h.request_id);
  pk.pack(h.tag);
  pk.pack(static_cast<std::int32_t>(h.error));
  pk.pack(h.error_message);
}

}  // namespace

std::string encode_header(const Header& h) {
  msgpack::sbuffer& buf = header_buffer();
  pack_header(buf, h);
  return std::string(buf.data(), buf.size());
}

std::vector<zmq::message_t> encode_envelope(const Envelope& e) {
  std::vector<zmq::message_t> frames;
  frames.reserve(2 + e.payload.blobs.size());
  msgpack::sbuffer& header = header_buffer();
  pack_header(header, e.header);
  frames.emplace_back(header.data(), header.size());
  frames.emplace_back(e.payload.args.data(), e.payload.args.size());
  for (const Blob& b : e.payload.blobs) frames.push_back(b.to_zmq());
  return frames;
}

Result<Header> decode_header(const void* data, std::size_t size) {
  try {
    std::size_t offset = 0;
    const msgpack::object o = msgpack::unpack(header_zone(), static_cast<const char*>(data), size, offset, nullptr,
                                              nullptr, bounded_by(size));
    if (offset != size) return Status::decode_failure("trailing bytes after header");
    // A newer protocol may append fields; it may not remove any.
    if (o.type != msgpack::type::ARRAY || o.via.array.size < kHeaderFields) {
      return Status::decode_failure("header is not an array of " + std::to_string(kHeaderFields));
    }
    const msgpack::object* f = o.via.array.ptr;
    Header h;
    h.version = f[0].as<std::uint32_t>();
    h.kind = static_cast<Kind>(f[1].as<std::uint8_t>());
    h.src_node = f[2].as<std::uint64_t>();
    h.src_endpoint = f[3].as<std::string>();
    h.src_actor = f[4].as<std::uint64_t>();
    h.dst_node = f[5].as<std::uint64_t>();
    h.dst_actor = f[6].as<std::uint64_t>();
    h.method = f[7].as<std::string>();
    h.request_id = f[8].as<std::uint64_t>();
    h.tag = f[9].as<std::uint64_t>();
    h.error = static_cast<ErrorCode>(f[10].as<std::int32_t>());
    h.error_message = f[11].as<std::string>();
    // These strings reach logs, files and other processes: refused here, not where a writer throws.
    if (!is_valid_utf8(h.src_endpoint) || !is_valid_utf8(h.method) || !is_valid_utf8(h.error_message)) {
      return Status::decode_failure("header: an endpoint, method or error message that is not UTF-8");
    }
    return h;
  } catch (const std::exception& e) {
    return Status::decode_failure(std::string("header: ") + e.what());
  }
}

Decoded decode_envelope(std::vector<zmq::message_t>& frames, std::size_t max_bytes) {
  Decoded d;
  if (frames.size() < 2) {
    d.status = Status::decode_failure("truncated message: " + std::to_string(frames.size()) +
                                      " frame(s), need header and args");
    if (frames.size() == 1) {
      auto h = decode_header(frames[0].data(), frames[0].size());
      if (h.ok()) d.header = std::move(h).value();
    }
    return d;
  }
  auto h = decode_header(frames[0].data(), frames[0].size());
  if (!h.ok()) {
    d.status = h.status();
    return d;
  }
  d.header = std::move(h).value();
  if (d.header->version != kProtocolVersion) {
    d.status = Status::protocol_mismatch("peer speaks protocol " + std::to_string(d.header->version) +
                                         ", this node " + std::to_string(kProtocolVersion));
    return d;
  }
  const auto kind = static_cast<std::uint8_t>(d.header->kind);
  if (kind == 0 || kind > kMaxKind) {
    d.status = Status::decode_failure("unknown message kind " + std::to_string(kind));
    return d;
  }
  std::size_t total = 0;
  for (const auto& f : frames) total += f.size();
  if (total > max_bytes) {
    d.status = Status::too_large("message of " + std::to_string(total) + " bytes exceeds cap of " +
                                 std::to_string(max_bytes));
    return d;
  }
  d.payload.args.assign(static_cast<const char*>(frames[1].data()), frames[1].size());
  d.payload.blobs.reserve(frames.size() - 2);
  for (std::size_t i = 2; i < frames.size(); ++i) d.payload.blobs.push_back(Blob::from_zmq(std::move(frames[i])));
  return d;
}

}  // namespace ist::rt
