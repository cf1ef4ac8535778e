// The numbers a trainer checks in a request before it trains: each out-of-range value is a named
// invalid_argument, and what the driver sends passes.
#include "actors/train_request_checks.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "ist/training_config.h"

namespace ist::actors {
namespace {

WireTrainOptions fine_options() {
  WireTrainOptions o;
  o.steps = 20;
  o.batch_size = 32;
  o.learning_rate = 0.05f;
  o.momentum = 0.9f;
  return o;
}

TEST(TrainRequestChecks, WhatTheDriverSendsPasses) {
  EXPECT_TRUE(check_train_options(fine_options(), 1000).ok());
  EXPECT_TRUE(check_cursor(WireCursor{7, 3, 1000}, 1000).ok());
  auto net = make_mlp({784, 16, 10}, 1);
  ASSERT_TRUE(net.ok());
  EXPECT_TRUE(check_layers(*net, 784).ok());
}

TEST(TrainRequestChecks, StepsBeyondTheLimitAndBatchesBeyondTheShardAreRefused) {
  for (int steps : {-1, kMaxLocalSteps + 1, std::numeric_limits<int>::max()}) {
    WireTrainOptions o = fine_options();
    o.steps = steps;
    EXPECT_EQ(check_train_options(o, 1000).code(), ErrorCode::kInvalidArgument) << steps;
  }
  for (int batch : {0, -5, 1001}) {
    WireTrainOptions o = fine_options();
    o.batch_size = batch;
    EXPECT_EQ(check_train_options(o, 1000).code(), ErrorCode::kInvalidArgument) << batch;
  }
}

TEST(TrainRequestChecks, NonFiniteOrNegativeRatesAndAMomentumOfOneAreRefused) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  for (float rate : {nan, inf, -0.1f}) {
    WireTrainOptions o = fine_options();
    o.learning_rate = rate;
    EXPECT_EQ(check_train_options(o, 1000).code(), ErrorCode::kInvalidArgument) << rate;
    o = fine_options();
    o.weight_decay = rate;
    EXPECT_EQ(check_train_options(o, 1000).code(), ErrorCode::kInvalidArgument) << rate;
  }
  for (float momentum : {nan, -0.5f, 1.0f, 2.0f}) {
    WireTrainOptions o = fine_options();
    o.momentum = momentum;
    EXPECT_EQ(check_train_options(o, 1000).code(), ErrorCode::kInvalidArgument) << momentum;
  }
}

TEST(TrainRequestChecks, ACursorBeforeTheShardOrPastItsEndIsRefused) {
  EXPECT_EQ(check_cursor(WireCursor{1, 0, -1}, 1000).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(check_cursor(WireCursor{1, -1, 0}, 1000).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(check_cursor(WireCursor{1, 0, 1001}, 1000).code(), ErrorCode::kInvalidArgument);
}

TEST(TrainRequestChecks, LayersThatDoNotChainOrScaleByANonPositiveNumberAreRefused) {
  auto net = make_mlp({20, 8, 4}, 1);
  ASSERT_TRUE(net.ok());
  EXPECT_EQ(check_layers(*net, 21).code(), ErrorCode::kInvalidArgument);
  Mlp broken = *net;
  broken.layers[1].weight.resize(4, 7);  // takes 7 inputs where 8 arrive
  EXPECT_EQ(check_layers(broken, 20).code(), ErrorCode::kInvalidArgument);
  Mlp scaled = *net;
  scaled.layers[1].input_scale = std::nanf("");
  EXPECT_EQ(check_layers(scaled, 20).code(), ErrorCode::kInvalidArgument);
  scaled.layers[1].input_scale = 0.0f;
  EXPECT_EQ(check_layers(scaled, 20).code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace ist::actors
