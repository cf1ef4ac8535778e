// The slice path's frames: a request is cut straight from the model into its frames, a reply is read in
// place, and anything that does not match what was asked is refused with a named error.
#include <gtest/gtest.h>

#include "actors/runtime_trainer_backend.h"
#include "actors/tensor_frames.h"
#include "ist/partition.h"

namespace ist::actors {
namespace {

Mlp model() { return make_mlp({12, 10, 8, 3}, 5).value(); }

TEST(TensorFrames, LayersReadInPlaceAreTheLayersAppended) {
  const Mlp m = model();
  rt::Payload payload;
  const std::vector<std::int64_t> shapes = append_layers(m, payload);
  auto layers = frame_layers(payload, shapes);
  ASSERT_TRUE(layers.ok()) << layers.status().to_string();
  ASSERT_EQ(layers->size(), m.layers.size());
  for (std::size_t l = 0; l < m.layers.size(); ++l) {
    EXPECT_EQ((*layers)[l].rows, m.layers[l].weight.rows());
    EXPECT_EQ((*layers)[l].cols, m.layers[l].weight.cols());
    EXPECT_TRUE(Eigen::Map<const Matrix>((*layers)[l].weight, (*layers)[l].rows, (*layers)[l].cols) == m.layers[l].weight);
    EXPECT_TRUE(Eigen::Map<const Vector>((*layers)[l].bias, (*layers)[l].rows) == m.layers[l].bias);
  }
  auto copied = read_layers(payload, shapes);
  ASSERT_TRUE(copied.ok());
  EXPECT_TRUE(copied->layers[1].weight == m.layers[1].weight);
}

TEST(TensorFrames, FramesThatDoNotHoldTheirShapesAreADecodeFailureNamingTheLayer) {
  rt::Payload payload;
  std::vector<std::int64_t> shapes = append_layers(model(), payload);
  shapes[2] += 1;  // layer 1 claims one more row than its frames hold
  auto layers = frame_layers(payload, shapes);
  ASSERT_FALSE(layers.ok());
  EXPECT_EQ(layers.status().code(), ErrorCode::kDecodeFailure);
  EXPECT_NE(layers.status().message().find("layer 1"), std::string::npos) << layers.status().to_string();
}

TEST(TensorFrames, MissingFramesOddShapesAndHugeShapesAreRefused) {
  rt::Payload payload;
  std::vector<std::int64_t> shapes = append_layers(model(), payload);
  payload.blobs.pop_back();
  EXPECT_EQ(frame_layers(payload, shapes).status().code(), ErrorCode::kDecodeFailure);
  EXPECT_EQ(frame_layers(payload, {3}).status().code(), ErrorCode::kDecodeFailure);
  EXPECT_EQ(frame_layers(payload, {std::int64_t{1} << 40, std::int64_t{1} << 40}).status().code(), ErrorCode::kDecodeFailure);
  EXPECT_EQ(frame_layers(payload, {-1, 4}).status().code(), ErrorCode::kDecodeFailure);
}

// A trainer's net across rounds: the reply lends its buffers, the next round takes them back once the
// reply's frames are gone, and never writes them while a frame still holds them.
TEST(LentNet, TheNextRoundFillsTheSameBuffersOnceTheRepliesFramesAreGone) {
  rt::Payload round1, round2;
  const std::vector<std::int64_t> shapes = append_layers(model(), round1);
  const Mlp second = make_mlp({12, 10, 8, 3}, 6).value();
  append_layers(second, round2);
  LentNet net;
  auto first = net.fill_from(round1, shapes);
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  EXPECT_FALSE(net.reused_last_time());
  const float* weights = (*first)->layers[1].weight.data();
  {
    rt::Payload reply;
    EXPECT_EQ(net.lend_to(reply), shapes);
    EXPECT_EQ(reinterpret_cast<const float*>(reply.blobs[2].data()), weights);  // lent, not copied
  }  // the reply is sent: its frames are gone
  auto next = net.fill_from(round2, shapes);
  ASSERT_TRUE(next.ok());
  EXPECT_TRUE(net.reused_last_time());
  EXPECT_EQ((*next)->layers[1].weight.data(), weights);
  EXPECT_TRUE((*next)->layers[1].weight == second.layers[1].weight);
}

TEST(LentNet, AFrameStillHeldKeepsItsBytesAndTheNextRoundGetsNewBuffers) {
  rt::Payload round1, round2;
  const std::vector<std::int64_t> shapes = append_layers(model(), round1);
  append_layers(make_mlp({12, 10, 8, 3}, 6).value(), round2);
  LentNet net;
  ASSERT_TRUE(net.fill_from(round1, shapes).ok());
  rt::Payload reply;
  net.lend_to(reply);  // still queued, say, when the next request arrives
  auto next = net.fill_from(round2, shapes);
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(net.reused_last_time());
  EXPECT_NE((*next)->layers[1].weight.data(), reinterpret_cast<const float*>(reply.blobs[2].data()));
  auto sent = read_layers(reply, shapes);
  ASSERT_TRUE(sent.ok());
  EXPECT_TRUE(sent->layers[1].weight == model().layers[1].weight);  // the lent frames kept round 1's values
}

TEST(LentNet, ReleasedBuffersStayWithTheFramesAndTheNextRoundGetsNewOnes) {
  rt::Payload round1, round2;
  const std::vector<std::int64_t> shapes = append_layers(model(), round1);
  const Mlp second = make_mlp({12, 10, 8, 3}, 6).value();
  append_layers(second, round2);
  LentNet net;
  ASSERT_TRUE(net.fill_from(round1, shapes).ok());
  {
    rt::Payload reply;
    EXPECT_EQ(net.lend_to(reply, LentNet::AfterLending::kRelease), shapes);
    auto sent = read_layers(reply, shapes);  // the frames alone hold round 1's values now
    ASSERT_TRUE(sent.ok());
    EXPECT_TRUE(sent->layers[1].weight == model().layers[1].weight);
  }  // the reply is sent: its frames, and with them the released buffers, are gone
  auto next = net.fill_from(round2, shapes);
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(net.reused_last_time()) << "released buffers came back";
  EXPECT_TRUE((*next)->layers[1].weight == second.layers[1].weight);
}

TEST(LentNet, FramesThatDoNotMatchTheirShapesLeaveTheNetAsItWas) {
  rt::Payload good, bad;
  const std::vector<std::int64_t> shapes = append_layers(model(), good);
  append_layers(model(), bad);
  bad.blobs.pop_back();
  LentNet net;
  ASSERT_TRUE(net.fill_from(good, shapes).ok());
  EXPECT_EQ(net.fill_from(bad, shapes).status().code(), ErrorCode::kDecodeFailure);
  rt::Payload reply;
  net.lend_to(reply);
  auto sent = read_layers(reply, shapes);
  ASSERT_TRUE(sent.ok());
  EXPECT_TRUE(sent->layers[2].weight == model().layers[2].weight);
}

// The request's frames hold exactly extract_slice's parameters, and its header the input scales.
TEST(IstRequest, FramesHoldTheExtractedSliceAndNoNeurons) {
  const Mlp m = model();
  const SubnetPlan plan = make_partition({10, 8}, 3, 9, 4).value();
  IstWork work;
  work.round = 4;
  work.subnet = 2;
  work.model = &m;
  work.plan = &plan;
  work.scaling = SubnetScaling::kSqrt;
  work.options.steps = 3;
  work.options.batch_size = 2;
  const rt::Payload payload = encode_ist_request(work);
  auto header = rt::unpack_one<IstTrainRequest>(payload);
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(header->round, 4);
  EXPECT_EQ(header->subnet, 2);
  auto layers = read_layers(payload, header->layer_shapes);
  ASSERT_TRUE(layers.ok()) << layers.status().to_string();
  const Slice expected = extract_slice(m, plan, 2, SubnetScaling::kSqrt);
  ASSERT_EQ(layers->layers.size(), expected.model.layers.size());
  for (std::size_t l = 0; l < expected.model.layers.size(); ++l) {
    EXPECT_TRUE(layers->layers[l].weight == expected.model.layers[l].weight) << "layer " << l;
    EXPECT_TRUE(layers->layers[l].bias == expected.model.layers[l].bias) << "layer " << l;
    EXPECT_EQ(header->input_scales[l], expected.model.layers[l].input_scale) << "layer " << l;
  }
}

rt::Payload reply_for(std::int64_t round, int subnet, const Mlp& trained) {
  TrainReply header;
  header.round = round;
  header.subnet = subnet;
  header.mean_loss = 0.5;
  rt::Payload frames;
  header.layer_shapes = append_layers(trained, frames);
  rt::Payload reply = rt::pack_args(header);
  reply.blobs = std::move(frames.blobs);
  return reply;
}

TEST(IstReply, ReplyIsReadAsViewsOfItsOwnFrames) {
  const Mlp trained = model();
  auto decoded = decode_ist_reply(reply_for(2, 1, trained), 2, 1);
  ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
  EXPECT_EQ(decoded->slice.subnet, 1);
  EXPECT_EQ(decoded->mean_loss, 0.5);
  ASSERT_EQ(decoded->slice.layers.size(), trained.layers.size());
  EXPECT_EQ(decoded->slice.layers[0].weight[5], trained.layers[0].weight.data()[5]);
  EXPECT_NE(decoded->owner, nullptr) << "the views' memory is kept alive with the slice";
}

TEST(IstReply, ReplyForAnotherRoundOrSubnetIsADecodeFailure) {
  const Mlp trained = model();
  EXPECT_EQ(decode_ist_reply(reply_for(2, 1, trained), 3, 1).status().code(), ErrorCode::kDecodeFailure);
  EXPECT_EQ(decode_ist_reply(reply_for(2, 1, trained), 2, 0).status().code(), ErrorCode::kDecodeFailure);
}

}  // namespace
}  // namespace ist::actors
