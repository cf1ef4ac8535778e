// Codec: every message kind round-trips through frames; malformed inputs are rejected with typed errors.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "runtime/envelope.h"
#include "runtime/handle.h"

namespace ist::rt {
namespace {

Header sample_header(Kind kind) {
  Header h;
  h.kind = kind;
  h.src_node = 0x1234567890abcdefull;
  h.src_endpoint = "tcp://127.0.0.1:5555";
  h.src_actor = 7;
  h.dst_node = 42;
  h.dst_actor = 9;
  h.method = "train";
  h.request_id = 1ull << 40;
  h.tag = 99;
  h.error = ErrorCode::kRemoteFailure;
  h.error_message = "it broke";
  return h;
}

std::vector<zmq::message_t> frames_of(std::initializer_list<std::string> parts) {
  std::vector<zmq::message_t> f;
  for (const auto& p : parts) f.emplace_back(p.data(), p.size());
  return f;
}

TEST(Codec, EveryMessageKindRoundTrips) {
  for (std::uint8_t k = 1; k <= kMaxKind; ++k) {
    Envelope e{sample_header(static_cast<Kind>(k)), pack_args(std::string("x"), 3)};
    e.payload.blobs.push_back(Blob::copy_of("abcdef", 6));
    auto frames = encode_envelope(e);
    ASSERT_EQ(frames.size(), 3u);
    Decoded d = decode_envelope(frames, 1 << 20);
    ASSERT_TRUE(d.status.ok()) << d.status.to_string();
    const Header& h = *d.header;
    EXPECT_EQ(h.kind, static_cast<Kind>(k));
    EXPECT_EQ(h.version, kProtocolVersion);
    EXPECT_EQ(h.src_node, e.header.src_node);
    EXPECT_EQ(h.src_endpoint, e.header.src_endpoint);
    EXPECT_EQ(h.src_actor, 7u);
    EXPECT_EQ(h.dst_node, 42u);
    EXPECT_EQ(h.dst_actor, 9u);
    EXPECT_EQ(h.method, "train");
    EXPECT_EQ(h.request_id, 1ull << 40);
    EXPECT_EQ(h.tag, 99u);
    EXPECT_EQ(h.status(), Status::remote_failure("it broke"));
    EXPECT_EQ(d.payload.args, e.payload.args);
    ASSERT_EQ(d.payload.blobs.size(), 1u);
    EXPECT_EQ(std::memcmp(d.payload.blobs[0].data(), "abcdef", 6), 0);
  }
}

TEST(Codec, ArgumentsRoundTripWithTypes) {
  ActorHandle h{5, "tcp://127.0.0.1:1", 3};
  Payload p = pack_args(1.5, std::string("name"), std::vector<int>{1, 2, 3}, h);
  auto r = unpack_args<double, std::string, std::vector<int>, ActorHandle>(p);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(std::get<0>(*r), 1.5);
  EXPECT_EQ(std::get<1>(*r), "name");
  EXPECT_EQ(std::get<2>(*r), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(std::get<3>(*r), h);
}

TEST(Codec, MembershipEventRoundTrips) {
  MembershipEvent e{MembershipChange::kDead,
                    Member{8, "tcp://h:1", "driver:x", MemberState::kDead, NodeRole::kDriver}};
  auto r = unpack_one<MembershipEvent>(pack_args(e));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->change, MembershipChange::kDead);
  EXPECT_EQ(r->member.id, 8u);
  EXPECT_EQ(r->member.name, "driver:x");
  EXPECT_EQ(r->member.role, NodeRole::kDriver);
}

TEST(Codec, NodeRolesTravelAsTheirFixedNumbers) {
  const std::pair<NodeRole, int> numbers[] = {
      {NodeRole::kHead, 0}, {NodeRole::kWorker, 1}, {NodeRole::kDriver, 2}, {NodeRole::kProbe, 3}};
  for (auto [role, number] : numbers) {
    Payload p = pack_args(Member{1, "tcp://h:1", "n", MemberState::kAlive, role});
    msgpack::object_handle oh = msgpack::unpack(p.args.data(), p.args.size());
    // pack_args packs an array of arguments; the member is an array whose fifth field is the role.
    const msgpack::object& member = oh.get().via.array.ptr[0];
    ASSERT_EQ(member.via.array.size, 5u);
    EXPECT_EQ(member.via.array.ptr[4].as<int>(), number) << role_name(role);
  }
}

TEST(Codec, WrongArgumentTypesAreDecodeFailures) {
  EXPECT_EQ(unpack_args<int>(pack_args(std::string("no"))).status().code(), ErrorCode::kDecodeFailure);
  EXPECT_EQ((unpack_args<int, int>(pack_args(1))).status().code(), ErrorCode::kDecodeFailure);
  Payload garbage;
  garbage.args = "\xc1\xc1\xc1";
  EXPECT_EQ(unpack_args<int>(garbage).status().code(), ErrorCode::kDecodeFailure);
  Payload trailing = pack_args(1);
  trailing.args += "x";
  EXPECT_EQ(unpack_args<int>(trailing).status().code(), ErrorCode::kDecodeFailure);
}

TEST(Codec, GarbageHeaderIsADecodeFailureWithoutHeader) {
  auto frames = frames_of({"\x01\x02garbage\xff", ""});
  Decoded d = decode_envelope(frames, 1 << 20);
  EXPECT_EQ(d.status.code(), ErrorCode::kDecodeFailure);
  EXPECT_FALSE(d.header.has_value());
}

TEST(Codec, ForgedHugeArrayIsRejectedWithoutAllocating) {
  // 0xdd = array32 claiming 4 billion elements in 5 bytes.
  auto frames = frames_of({std::string("\xdd\xff\xff\xff\xff", 5), ""});
  Decoded d = decode_envelope(frames, 1 << 20);
  EXPECT_EQ(d.status.code(), ErrorCode::kDecodeFailure);
}

TEST(Codec, TruncatedHeaderIsADecodeFailure) {
  std::string header = encode_header(sample_header(Kind::kCall));
  auto frames = frames_of({header.substr(0, header.size() / 2), ""});
  EXPECT_EQ(decode_envelope(frames, 1 << 20).status.code(), ErrorCode::kDecodeFailure);
}

TEST(Codec, MissingArgsFrameIsADecodeFailureButKeepsTheHeaderForAReply) {
  auto frames = frames_of({encode_header(sample_header(Kind::kCall))});
  Decoded d = decode_envelope(frames, 1 << 20);
  EXPECT_EQ(d.status.code(), ErrorCode::kDecodeFailure);
  ASSERT_TRUE(d.header.has_value());
  EXPECT_EQ(d.header->src_endpoint, "tcp://127.0.0.1:5555");
}

TEST(Codec, WrongProtocolVersionIsAProtocolMismatch) {
  Header h = sample_header(Kind::kCall);
  h.version = kProtocolVersion + 1;
  auto frames = frames_of({encode_header(h), ""});
  Decoded d = decode_envelope(frames, 1 << 20);
  EXPECT_EQ(d.status.code(), ErrorCode::kProtocolMismatch);
  EXPECT_TRUE(d.header.has_value());
}

TEST(Codec, UnknownKindIsADecodeFailure) {
  Header h = sample_header(Kind::kCall);
  h.kind = static_cast<Kind>(200);
  auto frames = frames_of({encode_header(h), ""});
  EXPECT_EQ(decode_envelope(frames, 1 << 20).status.code(), ErrorCode::kDecodeFailure);
}

TEST(Codec, OversizedMessageIsTooLarge) {
  Envelope e{sample_header(Kind::kCall), Payload()};
  e.payload.blobs.push_back(Blob::make(4096, [](std::span<std::byte> b) { std::memset(b.data(), 1, b.size()); }));
  auto frames = encode_envelope(e);
  Decoded d = decode_envelope(frames, 1024);
  EXPECT_EQ(d.status.code(), ErrorCode::kTooLarge);
  EXPECT_TRUE(d.header.has_value());
}

TEST(Codec, AnEndpointOrMethodThatIsNotUtf8IsADecodeFailure) {
  for (const std::string& bad : {std::string("tcp://\xff\xfe:1"), std::string("\xc0\xaf"), std::string("\xed\xa0\x80"),
                                std::string("\xe2\x82")}) {
    Header h = sample_header(Kind::kJoin);
    h.src_endpoint = bad;
    auto frames = frames_of({encode_header(h), ""});
    EXPECT_EQ(decode_envelope(frames, 1 << 20).status.code(), ErrorCode::kDecodeFailure);
    h = sample_header(Kind::kCall);
    h.method = bad;
    frames = frames_of({encode_header(h), ""});
    EXPECT_EQ(decode_envelope(frames, 1 << 20).status.code(), ErrorCode::kDecodeFailure);
  }
  Header fine = sample_header(Kind::kCall);
  fine.method = "gr\xc3\xbc\xc3\x9f \xf0\x9f\x98\x80";  // two-byte and four-byte forms
  auto frames = frames_of({encode_header(fine), ""});
  EXPECT_TRUE(decode_envelope(frames, 1 << 20).status.ok());
}

TEST(Blob, IsAlignedAndOutlivesItsOwnerWhileZeroMqHoldsIt) {
  zmq::message_t msg;
  const std::byte* where = nullptr;
  {
    Blob b = Blob::copy_of("0123456789", 10);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b.data()) % kBlobAlignment, 0u);
    where = b.data();
    msg = b.to_zmq();
  }
  EXPECT_EQ(msg.data(), where);  // zero copy: the message points at the blob's bytes
  EXPECT_EQ(std::memcmp(msg.data(), "0123456789", 10), 0);
}

TEST(Blob, ReceivedBytesAreAlignedForAnyTensorElement) {
  zmq::message_t msg(1000);
  std::memset(msg.data(), 7, msg.size());
  Blob b = Blob::from_zmq(std::move(msg));
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b.data()) % kReceivedAlignment, 0u);
  EXPECT_EQ(b.size(), 1000u);
  EXPECT_EQ(static_cast<int>(b.data()[999]), 7);
}

}  // namespace
}  // namespace ist::rt
