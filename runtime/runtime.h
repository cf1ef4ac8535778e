// The runtime's public API in one include. See README.md in this folder for a tour.
#pragma once

#include "runtime/actor.h"       // Actor, ActorContext, ActorTypeBuilder, ActorTypeRegistry
#include "runtime/blob.h"        // Blob: aligned, ref-counted bytes (tensors)
#include "runtime/future.h"      // Future<T>
#include "runtime/handle.h"      // ActorHandle, Member, NodeRole, MembershipEvent
#include "runtime/launcher.h"    // LocalCluster
#include "runtime/member_query.h"  // query_members: read the member table without joining
#include "runtime/membership.h"  // MembershipQueue
#include "runtime/node.h"        // Node, NodeOptions
#include "runtime/node_main.h"   // parse_node_args, run_node_main
#include "runtime/payload.h"     // Payload, pack_args, unpack_args, unpack_one
#include "runtime/types.h"       // NodeId, ActorId, Deadline, deadline_in
