// actors_test_node: a worker node program with the trainer actor types, launched by the actors tests.
#include <cstdio>

#include "actors/subnet_trainer.h"
#include "ist/tensor.h"
#include "runtime/node_main.h"

int main(int argc, char** argv) {
  if (auto s = ist::actors::register_trainer_actor_types(); !s.ok()) {
    std::fprintf(stderr, "actors_test_node: %s\n", s.to_string().c_str());
    return 2;
  }
  ist::set_compute_threads(1);
  auto opts = ist::rt::parse_node_args(argc, argv);
  if (!opts.ok()) {
    std::fprintf(stderr, "actors_test_node: %s\n", opts.status().to_string().c_str());
    return 2;
  }
  return ist::rt::run_node_main(*opts);
}
