// Driver configs: every key is read, unknown keys and wrong types name the file, the line and the key,
// --set overrides, and the resolved config reads back to the same config. One job over 500 lines: the
// tests of one parser (cli/driver_config.cc) and of its resolved form, which share kConfig.
#include <gtest/gtest.h>

#include <cmath>

#include "cli/driver_config.h"

namespace ist::cli {
namespace {

const char* kConfig = R"(name = "t"
seed = 7

[model]
widths = [784, 64, 10]

[data]
path = "/data"
shards = "label_skew"

[algorithm]
name = "local_sgd"
local_steps = 5
batch_size = 32
learning_rate = 0.2
momentum = 0.5
epochs = 2
eval_every = 3

[cluster]
workers = 3
min_workers = 2
round_deadline_s = 30
)";

TEST(DriverConfig, ReadsEveryKeyOfAFile) {
  auto c = parse_driver_config(kConfig, "exp.toml");
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->name, "t");
  EXPECT_EQ(c->driver.training.seed, 7u);
  EXPECT_EQ(c->driver.training.widths, (std::vector<int>{784, 64, 10}));
  EXPECT_EQ(c->driver.data.path, "/data");
  EXPECT_EQ(c->driver.training.shard_policy, ShardPolicy::kLabelSkew);
  EXPECT_EQ(c->driver.training.algorithm, Algorithm::kLocalSgd);
  EXPECT_EQ(c->driver.training.local_steps, 5);
  EXPECT_EQ(c->driver.training.batch_size, 32);
  EXPECT_FLOAT_EQ(c->driver.training.sgd.learning_rate, 0.2f);
  EXPECT_FLOAT_EQ(c->driver.training.sgd.momentum, 0.5f);
  EXPECT_DOUBLE_EQ(c->driver.training.epochs, 2.0);
  EXPECT_EQ(c->driver.training.eval_every, 3);
  EXPECT_EQ(c->driver.training.workers, 3);
  EXPECT_EQ(c->driver.min_workers, 2);
  EXPECT_EQ(c->driver.round_deadline.count(), 30000);
}

TEST(DriverConfig, UnknownKeyIsAnErrorNamingFileLineAndKey) {
  auto c = parse_driver_config("seed = 1\n[algorithm]\nlearning_rat = 0.1\n", "exp.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "exp.toml:3: key 'algorithm.learning_rat': unknown key");
}

TEST(DriverConfig, UnknownSectionIsAnErrorNamingFileLineAndKey) {
  auto c = parse_driver_config("[optimizer]\nlr = 0.1\n", "exp.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("exp.toml:"), std::string::npos) << c.status().to_string();
  EXPECT_NE(c.status().message().find("'optimizer"), std::string::npos);
}

TEST(DriverConfig, WrongTypeIsAnErrorNamingFileLineAndKey) {
  auto c = parse_driver_config("[cluster]\n\nworkers = \"four\"\n", "exp.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "exp.toml:3: key 'cluster.workers': expected an integer");
  c = parse_driver_config("[model]\nwidths = [784, \"x\"]\n", "exp.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("exp.toml:2: key 'model.widths'"), std::string::npos) << c.status().to_string();
}

TEST(DriverConfig, BadEnumValueNamesTheChoices) {
  auto c = parse_driver_config("[algorithm]\nname = \"adam\"\n", "exp.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("exp.toml:2: key 'algorithm.name'"), std::string::npos);
  EXPECT_NE(c.status().message().find("data_parallel"), std::string::npos) << c.status().to_string();
}

TEST(DriverConfig, MalformedTomlNamesTheLine) {
  auto c = parse_driver_config("seed = 1\n[algorithm\n", "exp.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("exp.toml:2: not valid TOML"), std::string::npos) << c.status().to_string();
}

TEST(DriverConfig, SetOverridesAnyKeyAfterTheFile) {
  auto c = parse_driver_config(kConfig, "exp.toml",
                               {"algorithm.learning_rate=0.05", "cluster.workers=4", "data.path=/other",
                                "model.widths=[784, 32, 32, 10]", "algorithm.name=ist"});
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_FLOAT_EQ(c->driver.training.sgd.learning_rate, 0.05f);
  EXPECT_EQ(c->driver.training.workers, 4);
  EXPECT_EQ(c->driver.data.path, "/other");
  EXPECT_EQ(c->driver.training.widths, (std::vector<int>{784, 32, 32, 10}));
  EXPECT_EQ(c->driver.training.algorithm, Algorithm::kIst);
}

TEST(DriverConfig, SetWithAnUnknownKeyOrNoValueIsAnError) {
  auto c = parse_driver_config(kConfig, "exp.toml", {"algorithm.lr=0.1"});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "--set: key 'algorithm.lr': unknown key");
  c = parse_driver_config(kConfig, "exp.toml", {"algorithm.learning_rate"});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("expected key=value"), std::string::npos);
}

TEST(DriverConfig, ValuesOutOfRangeAreErrors) {
  EXPECT_FALSE(parse_driver_config(kConfig, "exp.toml", {"cluster.min_workers=5"}).ok());
  EXPECT_FALSE(parse_driver_config(kConfig, "exp.toml", {"algorithm.learning_rate=-1"}).ok());
  auto c = parse_driver_config(kConfig, "exp.toml", {"algorithm.name=ist", "model.widths=[784, 2, 10]"});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("S must not exceed H"), std::string::npos) << c.status().to_string();
}

TEST(DriverConfig, ResolvedConfigReadsBackToTheSameConfig) {
  auto c = parse_driver_config(kConfig, "exp.toml");
  ASSERT_TRUE(c.ok());
  const std::string resolved = resolved_toml(*c);
  auto again = parse_driver_config(resolved, "resolved.toml");
  ASSERT_TRUE(again.ok()) << again.status().to_string() << "\n" << resolved;
  EXPECT_EQ(resolved_toml(*again), resolved);
  EXPECT_EQ(config_hash(*again), config_hash(*c));
  EXPECT_NE(config_hash(*c), config_hash(parse_driver_config(kConfig, "exp.toml", {"seed=8"}).value()));
}

TEST(DriverConfig, AStringStartingWithANewlineReadsBackUnchanged) {
  // Found by the driver config fuzzer: written as a multi-line string, the leading newline was lost.
  auto c = parse_driver_config(kConfig, "exp.toml", {"name=\"\\nrun\\nwith 'quotes' \\\\\""});
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  ASSERT_EQ(c->name, "\nrun\nwith 'quotes' \\");
  auto again = parse_driver_config(resolved_toml(*c), "resolved.toml");
  ASSERT_TRUE(again.ok()) << again.status().to_string() << "\n" << resolved_toml(*c);
  EXPECT_EQ(again->name, c->name);
  EXPECT_EQ(resolved_toml(*again), resolved_toml(*c));
  // Also found by the fuzzer: backslashes then a newline, which no literal string may hold.
  c = parse_driver_config(kConfig, "exp.toml", {"name=X\\\\\\\\\\\\\\\\\\na"});  // as the fuzzer typed it
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  ASSERT_EQ(c->name, "X\\\\\\\\\na");
  again = parse_driver_config(resolved_toml(*c), "resolved.toml");
  ASSERT_TRUE(again.ok()) << again.status().to_string() << "\n" << resolved_toml(*c);
  EXPECT_EQ(again->name, c->name);
  // A config without control characters keeps its literal strings (and so the hash of runs made before).
  EXPECT_NE(resolved_toml(parse_driver_config(kConfig, "exp.toml").value()).find("name = 't'"), std::string::npos);
}

TEST(DriverConfig, TheResolvedConfigPrintsFloatsInTheirShortestForm) {
  auto c = parse_driver_config(std::string(kConfig) + "\n", "exp.toml", {"algorithm.learning_rate=0.03"});
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  const std::string resolved = resolved_toml(*c);
  EXPECT_NE(resolved.find("learning_rate = 0.03\n"), std::string::npos) << resolved;
  EXPECT_NE(resolved.find("momentum = 0.5\n"), std::string::npos) << resolved;
  auto again = parse_driver_config(resolved, "resolved.toml");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->driver.training.sgd.learning_rate, 0.03f) << "the short form reads back to the same float";
}

TEST(DriverConfig, SetReplacesTheEventsWithATomlInlineList) {
  const std::string text = std::string(kConfig) + "\n[[events]]\nround = 3\naction = \"kill\"\nworker = 1\n";
  auto c = parse_driver_config(text, "exp.toml", {"events=[{round = 4, action = \"leave\", worker = 2}]"});
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  ASSERT_EQ(c->driver.events.size(), 1u);
  EXPECT_EQ(c->driver.events[0].kind, actors::ScriptedEvent::Kind::kLeaveWorker);
  EXPECT_EQ(c->driver.events[0].round, 4);
  auto none = parse_driver_config(text, "exp.toml", {"events=[]"});
  ASSERT_TRUE(none.ok()) << none.status().to_string();
  EXPECT_TRUE(none->driver.events.empty());
  auto bad = parse_driver_config(text, "exp.toml", {"events=[{round = 4, action = \"explode\"}]"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("key 'events.action'"), std::string::npos) << bad.status().to_string();
}

TEST(DriverConfig, CheckpointsAreOnByDefaultEveryTenRounds) {
  auto c = parse_driver_config(kConfig, "exp.toml");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->driver.checkpoint_every, 10);
  EXPECT_FALSE(c->checkpoint_set);
  auto off = parse_driver_config(kConfig, "exp.toml", {"checkpoint.every=0"});
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(off->driver.checkpoint_every, 0);
  EXPECT_TRUE(off->checkpoint_set);
}

TEST(DriverConfig, SubnetGroupsAndAScheduleAreReadAndReadBackAndBadOnesNamed) {
  const std::string text = std::string(kConfig) +
                           "\n[[algorithm.schedule]]\nfrom_epoch = 1\nsubnets = 2\nlearning_rate = 0.05\n"
                           "\n[[algorithm.schedule]]\nfrom_epoch = 1.5\nsubnets = 1\nlocal_steps = 10\n";
  auto c = parse_driver_config(text, "exp.toml", {"algorithm.name=ist", "algorithm.subnets=3"});
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  const TrainingConfig& t = c->driver.training;
  EXPECT_EQ(t.subnets, 3);
  ASSERT_EQ(t.schedule.size(), 2u);
  EXPECT_EQ(t.schedule[0].from_epoch, 1.0);
  EXPECT_EQ(t.schedule[0].subnets, 2);
  EXPECT_EQ(t.schedule[0].learning_rate, 0.05f);
  EXPECT_EQ(t.schedule[0].local_steps, 0) << "unset: unchanged";
  EXPECT_EQ(t.schedule[1].local_steps, 10);
  auto again = parse_driver_config(resolved_toml(*c), "resolved.toml");
  ASSERT_TRUE(again.ok()) << again.status().to_string() << "\n" << resolved_toml(*c);
  EXPECT_EQ(resolved_toml(*again), resolved_toml(*c));
  EXPECT_NE(config_hash(*c), config_hash(parse_driver_config(text, "exp.toml", {"algorithm.name=ist"}).value()))
      << "the subnets are part of the config a checkpoint belongs to";

  auto bad = parse_driver_config(kConfig, "exp.toml", {"algorithm.subnets=4"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("key 'algorithm.subnets': must be between 1 and cluster.workers (3), got 4"),
            std::string::npos)
      << bad.status().to_string();
  bad = parse_driver_config(std::string(kConfig) + "\n[[algorithm.schedule]]\nsubnets = 2\n", "exp.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("key 'algorithm.schedule.from_epoch': missing"), std::string::npos)
      << bad.status().to_string();
  bad = parse_driver_config(std::string(kConfig) +
                                "\n[[algorithm.schedule]]\nfrom_epoch = 2\n\n[[algorithm.schedule]]\nfrom_epoch = 1\n",
                            "exp.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("ascending"), std::string::npos) << bad.status().to_string();
  bad = parse_driver_config(std::string(kConfig) + "\n[[algorithm.schedule]]\nfrom_epoch = 1\nlr = 2\n", "exp.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("key 'algorithm.schedule.lr': unknown key"), std::string::npos)
      << bad.status().to_string();
  bad = parse_driver_config(std::string(kConfig) + "\n[[algorithm.schedule]]\nfrom_epoch = 1\nsubnets = 9\n", "exp.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("subnets must be between 1 and cluster.workers (3), got 9"), std::string::npos)
      << bad.status().to_string();
}

TEST(DriverConfig, ScriptedEventsAreReadAndBadOnesNamed) {
  const std::string text = std::string(kConfig) +
                           "\n[[events]]\nround = 3\naction = \"kill\"\nworker = 1\n"
                           "\n[[events]]\nround = 5\naction = \"add\"\ncount = 2\n";
  auto c = parse_driver_config(text, "exp.toml");
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  ASSERT_EQ(c->driver.events.size(), 2u);
  EXPECT_EQ(c->driver.events[0].kind, actors::ScriptedEvent::Kind::kKillWorker);
  EXPECT_EQ(c->driver.events[0].round, 3);
  EXPECT_EQ(c->driver.events[0].worker, 1);
  EXPECT_EQ(c->driver.events[1].kind, actors::ScriptedEvent::Kind::kAddWorkers);
  EXPECT_EQ(c->driver.events[1].count, 2);
  auto again = parse_driver_config(resolved_toml(*c), "resolved.toml");
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_EQ(again->driver.events.size(), 2u);
  auto bad = parse_driver_config(std::string(kConfig) + "\n[[events]]\nround = 3\naction = \"explode\"\n", "exp.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("key 'events.action'"), std::string::npos) << bad.status().to_string();
  bad = parse_driver_config(std::string(kConfig) + "\n[[events]]\nround = 3\naction = \"kill\"\nwho = 1\n", "exp.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("key 'events.who': unknown key"), std::string::npos) << bad.status().to_string();
}

TEST(DriverConfig, MissingFileIsNotFound) {
  auto c = load_driver_config("/nonexistent/exp.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(c.status().message().find("/nonexistent/exp.toml"), std::string::npos);
}


TEST(DriverConfigRanges, WorkersAbove2To32IsAnErrorNotOneWorker) {
  auto c = parse_driver_config("[cluster]\nworkers = 4294967297\n", "exp.toml");
  ASSERT_FALSE(c.ok()) << "workers = 4294967297 was read as " << c->driver.training.workers;
  EXPECT_EQ(c.status().message(),
            "exp.toml:2: key 'cluster.workers': must be between 1 and 2147483647, got 4294967297");
  c = parse_driver_config(kConfig, "exp.toml", {"cluster.workers=4294967297"});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "--set: key 'cluster.workers': must be between 1 and 2147483647, got 4294967297");
}

TEST(DriverConfigRanges, AWidthAbove2To32IsAnErrorNamingTheElement) {
  auto c = parse_driver_config("\n[model]\nwidths = [784, 4294967552, 10]\n", "exp.toml");
  ASSERT_FALSE(c.ok()) << "a width of 4294967552 was read as " << c->driver.training.widths[1];
  EXPECT_EQ(c.status().message(),
            "exp.toml:3: key 'model.widths[1]': must be between 1 and 2147483647, got 4294967552");
}

TEST(DriverConfigRanges, NegativeWorkersIsAnErrorNamingWorkers) {
  auto c = parse_driver_config("[cluster]\n\n\nworkers = -3\n", "exp.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "exp.toml:4: key 'cluster.workers': must be between 1 and 2147483647, got -3");
}

TEST(DriverConfigRanges, ZeroWorkersBlamesWorkersNotMinWorkers) {
  auto c = parse_driver_config("[cluster]\nworkers = 0\n", "exp.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "exp.toml:2: key 'cluster.workers': must be between 1 and 2147483647, got 0");
}

TEST(DriverConfigRanges, InfiniteEpochsIsAnError) {
  auto c = parse_driver_config("[algorithm]\nepochs = inf\n", "exp.toml");
  ASSERT_FALSE(c.ok()) << "epochs = inf would run forever";
  EXPECT_EQ(c.status().message(), "exp.toml:2: key 'algorithm.epochs': must be a finite number, got inf");
}

TEST(DriverConfigRanges, NanRoundDeadlineIsAnError) {
  auto c = parse_driver_config("[cluster]\nround_deadline_s = nan\n", "exp.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "exp.toml:2: key 'cluster.round_deadline_s': must be a finite number, got nan");
  c = parse_driver_config("[cluster]\nround_deadline_s = 1e300\n", "exp.toml");
  ASSERT_FALSE(c.ok()) << "1e300 s does not fit in milliseconds";
  EXPECT_NE(c.status().message().find("exp.toml:2: key 'cluster.round_deadline_s': must be in"), std::string::npos)
      << c.status().to_string();
}

TEST(DriverConfigRanges, ANumberThatBecomesZeroOrInfiniteAsAFloatIsAnError) {
  auto c = parse_driver_config("[algorithm]\nlearning_rate = 1e-50\n", "exp.toml");
  ASSERT_FALSE(c.ok()) << "1e-50 is 0 as a float";
  EXPECT_NE(c.status().message().find("exp.toml:2: key 'algorithm.learning_rate': must be above 0 as a 32-bit float"),
            std::string::npos)
      << c.status().to_string();
  c = parse_driver_config("[data]\ninput_mean = 1e39\n", "exp.toml");
  ASSERT_FALSE(c.ok()) << "1e39 is infinite as a float";
  EXPECT_NE(c.status().message().find("exp.toml:2: key 'data.input_mean'"), std::string::npos) << c.status().to_string();
}

TEST(DriverConfigRanges, EveryIntegerKeyIsCheckedBeforeItIsNarrowed) {
  for (const char* key : {"algorithm.local_steps", "algorithm.batch_size", "algorithm.eval_every", "cluster.min_workers",
                          "cluster.heartbeat_ms", "cluster.death_deadline_ms", "checkpoint.every"}) {
    auto c = parse_driver_config(kConfig, "exp.toml", {std::string(key) + "=4294967297"});
    ASSERT_FALSE(c.ok()) << key << " = 4294967297 was accepted";
    EXPECT_EQ(c.status().message().rfind("--set: key '" + std::string(key) + "': must be between", 0), 0u)
        << c.status().to_string();
  }
  auto c = parse_driver_config(kConfig, "exp.toml", {"seed=-1"});
  ASSERT_FALSE(c.ok()) << "seed = -1 was read as " << c->driver.training.seed;
  EXPECT_EQ(c.status().message(), "--set: key 'seed': must be at least 0, got -1");
  c = parse_driver_config(std::string(kConfig) + "\n[[events]]\nround = 3\naction = \"kill\"\nworker = 4294967297\n",
                          "exp.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "exp.toml:28: key 'events.worker': must be between 0 and 2147483647, got 4294967297");
}

TEST(DriverConfigRanges, ANameThatIsAPathIsAnErrorSoRunsStayUnderRuns) {
  for (const char* name : {"../escaped", "/tmp/elsewhere", "a/b", ".hidden", ""}) {
    auto c = parse_driver_config("name = \"" + std::string(name) + "\"\n", "exp.toml");
    ASSERT_FALSE(c.ok()) << "name '" << name << "' was accepted";
    EXPECT_EQ(c.status().message().rfind("exp.toml:1: key 'name': run name '", 0), 0u) << c.status().to_string();
  }
  EXPECT_TRUE(parse_driver_config("name = \"fashion-mnist_ist.v2\"\n", "exp.toml").ok());
}

TEST(DriverConfigRanges, ADataSourceErrorNamesTheKeyAndItsLine) {
  auto c = parse_driver_config("[data]\npath = \"train.csv\"\n\nformat = \"parquet\"\n", "exp.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "exp.toml:4: key 'data.format': expected idx, csv, npy or npz, got 'parquet'");
  c = parse_driver_config("[data]\npath = \"train.csv\"\n", "exp.toml", {"data.test_path=\"\""});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "--set: key 'data.test_path': a csv data set needs its test file");
}

TEST(DriverConfigRanges, ACrossKeyErrorNamesTheLineOfTheKeyItBlames) {
  auto c = parse_driver_config("[cluster]\nworkers = 2\nmin_workers = 3\n", "exp.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "exp.toml:3: key 'cluster.min_workers': must be between 1 and cluster.workers (2), got 3");
  c = parse_driver_config("[cluster]\nheartbeat_ms = 500\n\ndeath_deadline_ms = 400\n", "exp.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "exp.toml:4: key 'cluster.death_deadline_ms': must be above cluster.heartbeat_ms (500), got 400");
  c = parse_driver_config("[algorithm]\nepochs = 0\n", "exp.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message().rfind("exp.toml:2: key 'algorithm.epochs': set algorithm.rounds or", 0), 0u)
      << c.status().to_string();
  c = parse_driver_config("[model]\nwidths = [784, 2, 10]\n[cluster]\nworkers = 3\n", "exp.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message().rfind("exp.toml:2: key 'model.widths': hidden layer 1 has 2 neurons", 0), 0u)
      << c.status().to_string();
}

}  // namespace
}  // namespace ist::cli

namespace ist::cli {
namespace {

TEST(DriverConfigStandardization, WithoutTypedValuesTheTrainingDataIsMeasuredGloballyOrAsTheKeySays) {
  auto c = parse_driver_config("[data]\npath = \"/data\"\n", "exp.toml");
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->driver.training.standardize, Standardize::kGlobal);
  EXPECT_EQ(resolved_toml(*c).find("input_mean"), std::string::npos) << "not known yet, so not written";
  c = parse_driver_config("[data]\npath = \"/data\"\nstandardize = \"per_feature\"\n", "exp.toml");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->driver.training.standardize, Standardize::kPerFeature);
  c = parse_driver_config("[data]\npath = \"/data\"\nstandardize = \"none\"\n", "exp.toml");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->driver.training.standardize, Standardize::kGiven);
  EXPECT_EQ(c->driver.training.input_mean, 0.0f);
  EXPECT_EQ(c->driver.training.input_std, 1.0f);
  c = parse_driver_config("[data]\npath = \"/data\"\nstandardize = \"sometimes\"\n", "exp.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("exp.toml:3: key 'data.standardize'"), std::string::npos) << c.status().to_string();
}

TEST(DriverConfigStandardization, TypedValuesWinAndOneWithoutTheOtherIsAnError) {
  auto c = parse_driver_config("[data]\npath = \"/data\"\nstandardize = \"per_feature\"\ninput_mean = 0.5\ninput_std = 0.25\n", "exp.toml");
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->driver.training.standardize, Standardize::kGiven);
  EXPECT_EQ(c->driver.training.input_mean, 0.5f);
  c = parse_driver_config("[data]\npath = \"/data\"\ninput_mean = 0.5\n", "exp.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("exp.toml:3: key 'data.input_mean': set data.input_std too"), std::string::npos)
      << c.status().to_string();
}

TEST(DriverConfigStandardization, PerFeatureValuesReadBackBitForBitFromTheResolvedConfig) {
  std::string mean = "[", std = "[";
  for (int j = 0; j < 4; ++j) {
    mean += (j ? ", " : "") + std::to_string(0.1 + j / 3.0);
    std += (j ? ", " : "") + std::to_string(1.0 / (j + 3.0));
  }
  const std::string text = "[model]\nwidths = [4, 8, 3]\n[data]\npath = \"/data\"\ninput_mean = " + mean +
                           "]\ninput_std = " + std + "]\n[cluster]\nworkers = 2\n";
  auto c = parse_driver_config(text, "exp.toml");
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  ASSERT_EQ(c->driver.training.feature_mean.size(), 4u);
  // Measured numbers are floats of any bits: they must survive the trip through config.toml.
  c->driver.training.feature_mean[1] = std::nextafter(0.3f, 1.0f);
  c->driver.training.feature_std[2] = 1.0f / 3.0f;
  auto again = parse_driver_config(resolved_toml(*c), "config.toml");
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_EQ(again->driver.training.feature_mean, c->driver.training.feature_mean);
  EXPECT_EQ(again->driver.training.feature_std, c->driver.training.feature_std);
  auto wrong_count = parse_driver_config("[model]\nwidths = [3, 8, 2]\n" + text.substr(text.find("[data]")), "exp.toml");
  ASSERT_FALSE(wrong_count.ok());
  EXPECT_NE(wrong_count.status().message().find("needs 3 means"), std::string::npos) << wrong_count.status().to_string();
}

TEST(DriverConfigStandardization, ClassNamesMustNameEveryOutput) {
  auto c = parse_driver_config("[model]\nwidths = [4, 8, 3]\n[data]\npath = \"/d\"\nclass_names = [\"a\", \"b\", \"c\"]\n", "exp.toml");
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->class_names, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(parse_driver_config(resolved_toml(*c), "config.toml")->class_names, c->class_names);
  c = parse_driver_config("[model]\nwidths = [4, 8, 3]\n[data]\npath = \"/d\"\nclass_names = [\"a\", \"b\"]\n", "exp.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("exp.toml:5: key 'data.class_names': names 2 classes, but the model has 3 outputs"),
            std::string::npos)
      << c.status().to_string();
}

}  // namespace
}  // namespace ist::cli

namespace ist::cli {
namespace {

TEST(DriverConfigHoldout, AHeldOutShareFollowsTheRunSeedUnlessGivenItsOwnAndReadsBack) {
  auto c = parse_driver_config("seed = 7\n[data]\npath = \"train.npz\"\nholdout = 0.1\n", "exp.toml");
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->driver.data.holdout, 0.1);
  EXPECT_EQ(c->driver.data.holdout_seed, 7u);
  auto own = parse_driver_config("seed = 7\n[data]\npath = \"train.npz\"\nholdout = 0.1\n", "exp.toml", {"data.holdout_seed=3"});
  ASSERT_TRUE(own.ok()) << own.status().to_string();
  EXPECT_EQ(own->driver.data.holdout_seed, 3u);
  const std::string resolved = resolved_toml(*own);
  auto again = parse_driver_config(resolved, "resolved.toml");
  ASSERT_TRUE(again.ok()) << again.status().to_string() << "\n" << resolved;
  EXPECT_EQ(again->driver.data.holdout, 0.1);
  EXPECT_EQ(again->driver.data.holdout_seed, 3u);
  EXPECT_EQ(resolved_toml(*again), resolved);
  EXPECT_EQ(parse_driver_config(kConfig, "exp.toml")->driver.data.holdout, 0.0) << "no holdout unless asked for";
}

TEST(DriverConfigHoldout, ABadShareATestFileBesideItAndPerWorkerFilesAreErrorsNamingTheKeys) {
  for (const char* bad : {"data.holdout=1", "data.holdout=1.5", "data.holdout=-0.1"}) {
    auto c = parse_driver_config("[data]\npath = \"train.npz\"\n", "exp.toml", {bad});
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_EQ(c.status().message().rfind("--set: key 'data.holdout': ", 0), 0u) << c.status().to_string();
  }
  auto both = parse_driver_config("[data]\npath = \"train.npz\"\ntest_path = \"test.npz\"\nholdout = 0.2\n", "exp.toml");
  ASSERT_FALSE(both.ok());
  EXPECT_EQ(both.status().message(),
            "exp.toml:3: key 'data.test_path': give either data.test_path (a test file) or data.holdout (a share of "
            "the training file), not both");
  auto private_files = parse_driver_config(
      "[data]\npath = \"w-{worker}.npz\"\nplacement = \"private\"\nholdout = 0.2\n", "exp.toml");
  ASSERT_FALSE(private_files.ok());
  EXPECT_EQ(private_files.status().message().rfind("exp.toml:4: key 'data.holdout': per-worker files", 0), 0u)
      << private_files.status().to_string();
}

TEST(DriverConfig, ModelOwnerIsDriverByDefaultAndPartitionedOnlyForIst) {
  auto c = parse_driver_config(kConfig, "exp.toml", {"algorithm.name=ist"});
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->driver.model_owner, "driver");
  EXPECT_EQ(resolved_toml(*c).find("model_owner"), std::string::npos) << "the default keeps older configs' hash";
  auto p = parse_driver_config(kConfig, "exp.toml", {"algorithm.name=ist", "cluster.model_owner=partitioned"});
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  EXPECT_EQ(p->driver.model_owner, "partitioned");
  auto again = parse_driver_config(resolved_toml(*p), "resolved.toml");
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_EQ(again->driver.model_owner, "partitioned");
  EXPECT_NE(config_hash(*p), config_hash(*c));

  auto bad = parse_driver_config(kConfig, "exp.toml", {"algorithm.name=ist", "cluster.model_owner=workers"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("key 'cluster.model_owner': expected driver or partitioned, got 'workers'"),
            std::string::npos)
      << bad.status().to_string();
  bad = parse_driver_config(kConfig, "exp.toml", {"cluster.model_owner=partitioned"});  // local_sgd
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("key 'cluster.model_owner': \"partitioned\" needs algorithm.name = \"ist\""),
            std::string::npos)
      << bad.status().to_string();
  auto groups = parse_driver_config(kConfig, "exp.toml", {"algorithm.name=ist", "algorithm.subnets=2", "cluster.model_owner=partitioned"});
  EXPECT_TRUE(groups.ok()) << groups.status().to_string();
}

}  // namespace
}  // namespace ist::cli
