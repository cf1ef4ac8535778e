// runtime_test_node: a worker node program with the test actor types, launched by the cluster tests.
#include <cstdio>

#include "runtime/node_main.h"
#include "tests/runtime/test_actors.h"

int main(int argc, char** argv) {
  ist::rt::testing::register_test_actors();
  auto opts = ist::rt::parse_node_args(argc, argv);
  if (!opts.ok()) {
    std::fprintf(stderr, "runtime_test_node: %s\n", opts.status().to_string().c_str());
    return 2;
  }
  return ist::rt::run_node_main(*opts);
}
