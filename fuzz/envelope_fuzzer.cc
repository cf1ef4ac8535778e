// libFuzzer target: arbitrary bytes as the frames of one inbound message, through the envelope decoder
// and every runtime payload decoder a node applies to what it receives. Must never crash, leak or hang.
// Input: frames separated by the byte sequence "\xF0\x0D" (so the fuzzer can grow and cut frames).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/fuzz_input.h"
#include "runtime/envelope.h"
#include "runtime/handle.h"
#include "runtime/membership.h"
#include "runtime/payload.h"

using namespace ist::rt;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<zmq::message_t> frames;
  for (const std::string& frame : ist::fuzz::split_parts(data, size, 65)) frames.emplace_back(frame.data(), frame.size());
  Decoded d = decode_envelope(frames, 1 << 20);
  if (!d.status.ok()) return 0;
  (void)unpack_one<Member>(d.payload);
  (void)unpack_one<MembershipEvent>(d.payload);
  (void)unpack_one<std::vector<Member>>(d.payload);
  (void)unpack_one<ActorHandle>(d.payload);
  (void)unpack_args<std::string, ActorHandle>(d.payload);
  (void)unpack_one<std::string>(d.payload);
  return 0;
}
