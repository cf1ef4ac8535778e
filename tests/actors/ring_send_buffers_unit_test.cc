// A ring member's send buffers: a chunk goes out in a buffer whose earlier frames are gone, so steady
// all-reduces allocate nothing per chunk; a buffer still held (queued in ZeroMQ) keeps its bytes.
#include <gtest/gtest.h>

#include <vector>

#include "actors/ring.h"

namespace ist::actors {
namespace {

std::vector<float> floats_of(const rt::Blob& blob) {
  const auto values = blob.as<float>();
  return {values.begin(), values.end()};
}

TEST(RingSendBuffers, AChunkWhoseFramesAreGoneLeavesItsBufferForTheNextChunk) {
  RingSendBuffers buffers;
  const std::vector<float> a = {1, 2, 3, 4}, b = {5, 6, 7};
  const float* first = nullptr;
  {
    const rt::Blob sent = buffers.copy_of(a.data(), a.size());
    EXPECT_EQ(floats_of(sent), a);
    first = sent.as<float>().data();
  }  // sent: ZeroMQ let go of it
  const rt::Blob next = buffers.copy_of(b.data(), b.size());
  EXPECT_EQ(floats_of(next), b);
  EXPECT_EQ(next.as<float>().data(), first);
  EXPECT_EQ(buffers.allocated(), 1u);
}

TEST(RingSendBuffers, AChunkStillQueuedKeepsItsBytesAndTheNextGetsAnotherBuffer) {
  RingSendBuffers buffers;
  const std::vector<float> a = {1, 2, 3, 4}, b = {5, 6, 7, 8};
  const rt::Blob queued = buffers.copy_of(a.data(), a.size());
  const rt::Blob next = buffers.copy_of(b.data(), b.size());
  EXPECT_EQ(floats_of(queued), a);
  EXPECT_EQ(floats_of(next), b);
  EXPECT_EQ(buffers.allocated(), 2u);
}

}  // namespace
}  // namespace ist::actors
