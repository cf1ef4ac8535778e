// Envelope: the one wire format. Frames: [header (msgpack array), args (msgpack bytes), blob...].
// Every message kind is declared here, with its one encoding (encode_envelope / decode_envelope).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "base/status.h"
#include "runtime/payload.h"
#include "runtime/types.h"

namespace ist::rt {

// 2: a Member carries its NodeRole (was a bool is_head); kQueryMembers.
inline constexpr std::uint32_t kProtocolVersion = 2;

// Append only; numbers travel on the wire.
enum class Kind : std::uint8_t {
  kCall = 1,          // request: run `method` on dst_actor; reply kReply with the same request_id
  kReply = 2,         // answer to any request (call, spawn, kill, join, register, lookup); error fields
  kTell = 3,          // fire and forget method call; never answered
  kSpawn = 4,         // request: create an actor of type `method` with the payload as constructor args
  kKill = 5,          // request: stop dst_actor
  kTagged = 6,        // point-to-point message to dst_actor's tagged inbox (tag); never answered
  kJoin = 7,          // request node -> head: add me (src) as a member; reply payload = member list
  kLeave = 8,         // node -> head: I am stopping
  kHeartbeat = 9,     // node -> head (dst_node 0: whichever head is there), every heartbeat interval
  kHeartbeatAck = 10, // head -> node; error kNodeDead: "you were declared dead", kNotFound: "join again"
  kMembership = 11,   // head -> every member: a MembershipEvent in the payload
  kRegisterName = 12, // request node -> head: payload (name, handle)
  kLookupName = 13,   // request node -> head: payload (name); reply payload (handle)
  // Request anyone -> head, read-only: reply payload = the alive members (vector<Member>). The asker
  // need not be a member nor reachable: the reply goes back on the asking connection (its ROUTER
  // routing id), not to src_endpoint. Changes no membership.
  kQueryMembers = 14,
};
inline constexpr std::uint8_t kMaxKind = 14;

const char* kind_name(Kind k);

struct Header {
  std::uint32_t version = kProtocolVersion;
  Kind kind = Kind::kCall;
  NodeId src_node = 0;
  std::string src_endpoint;  // where replies go
  ActorId src_actor = 0;
  NodeId dst_node = 0;
  ActorId dst_actor = 0;
  std::string method;        // method name (call/tell) or actor type name (spawn)
  std::uint64_t request_id = 0;
  std::uint64_t tag = 0;     // kTagged only
  ErrorCode error = ErrorCode::kOk;
  std::string error_message;

  Status status() const { return error == ErrorCode::kOk ? Status() : Status(error, error_message); }
};

struct Envelope {
  Header header;
  Payload payload;
};

// Encodes the header frame alone (exposed for tests that forge headers).
std::string encode_header(const Header& h);
// Frames ready for a socket: header, args, then one frame per blob (zero copy, see blob.h).
std::vector<zmq::message_t> encode_envelope(const Envelope& e);

// The result of decoding received frames. `header` is present whenever the header frame parsed (even if
// the message is then rejected), so the receiver can send an error reply to header->src_endpoint.
struct Decoded {
  Status status;                 // ok, or why the message is rejected
  std::optional<Header> header;
  Payload payload;               // meaningful only when status.ok()
};

// Checks, in order: at least two frames (kDecodeFailure), header parses (kDecodeFailure), protocol
// version (kProtocolMismatch), kind known (kDecodeFailure), total bytes <= max_bytes (kTooLarge).
// Takes the frames' contents (blobs keep zmq messages without copying when aligned).
Decoded decode_envelope(std::vector<zmq::message_t>& frames, std::size_t max_bytes);
// Header frame alone; parses any version (the caller checks it). Errors (kDecodeFailure): not a msgpack
// array of the header's fields, or a src_endpoint, method or error message that is not UTF-8.
Result<Header> decode_header(const void* data, std::size_t size);

}  // namespace ist::rt
