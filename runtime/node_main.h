// run_node_main: the whole life of a worker node process, for any program that registered its actor
// types first. Joins the head and serves until SIGTERM/SIGINT, then leaves. A lost head does not end it:
// the node serves on and joins the head again when one answers at its address. A node the head
// declared dead (e.g. paused past the death deadline) is replaced by a new one, a new member.
//   int main(int argc, char** argv) {
//     register_my_actor_types();
//     auto opts = ist::rt::parse_node_args(argc, argv);
//     if (!opts.ok()) { fprintf(stderr, "%s\n", opts.status().to_string().c_str()); return 2; }
//     return ist::rt::run_node_main(*opts);
//   }
#pragma once

#include "base/status.h"
#include "runtime/node.h"

namespace ist::rt {

// Flags: --head ENDPOINT (required unless --role head), --role head|worker|driver|probe, --bind ENDPOINT,
// --name NAME, --heartbeat-ms N, --deadline-ms N, --head-lost-ms N, --max-message-bytes N,
// --key-file PATH (the cluster key, cluster_key.h: every socket speaks CURVE; without it, plain TCP).
// Errors: kInvalidArgument naming the bad flag.
Result<NodeOptions> parse_node_args(int argc, char** argv);

// Fixes glibc's mmap threshold for this process at 8 MiB: buffers above it that a round allocates and
// frees (subnets, slices, frames) go back to the system when freed instead of staying in the heap beside
// the next round's (node_main.cc says what it saved). run_node_main calls it; the `ist` program calls it
// for every command (its driver too).
void keep_large_buffers_off_the_heap();

// Exit codes: 0 after a signal-requested stop, 2 when the node cannot start, 3 when it was declared dead
// and its replacement could not join.
// REQUIRES: called from main's thread before any other thread exists (it blocks SIGTERM/SIGINT in
// every thread it creates and waits for them synchronously).
int run_node_main(NodeOptions options);

}  // namespace ist::rt
