// Payload: what a call, reply or tagged message carries: one msgpack-encoded arguments buffer plus zero
// or more raw byte frames (Blobs, e.g. tensors, never msgpack arrays of floats).
// pack_args / unpack_args are the typed helpers: pack_args(a, b, c) encodes a msgpack array of three
// values; unpack_args<A, B, C>(p) decodes it back, failing with kDecodeFailure on any mismatch.
#pragma once

#include <cstddef>
#include <exception>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <msgpack.hpp>

#include "base/status.h"
#include "runtime/blob.h"

namespace ist::rt {

// Parser limits for `size` input bytes: no container can hold more elements than there are bytes, so a
// few forged bytes claiming a 4-billion-element array are rejected instead of allocating gigabytes.
inline msgpack::unpack_limit bounded_by(std::size_t size) {
  const std::size_t n = size + 1;
  return msgpack::unpack_limit(n, n, n, n, n, 64);
}

struct Payload {
  std::string args;          // msgpack bytes; empty means "no arguments"
  std::vector<Blob> blobs;   // raw frames, sent and received without per-byte encoding

  // Total bytes (args + blobs), as counted against the message size cap.
  std::size_t byte_size() const {
    std::size_t n = args.size();
    for (const auto& b : blobs) n += b.size();
    return n;
  }
  // Appends a blob; returns *this so calls chain: pack_args(x).with_blob(b).
  Payload& with_blob(Blob b) & {
    blobs.push_back(std::move(b));
    return *this;
  }
  Payload&& with_blob(Blob b) && {
    blobs.push_back(std::move(b));
    return std::move(*this);
  }
};

// Encodes the values as one msgpack array. Types need msgpack adaptors (builtins, std containers,
// MSGPACK_DEFINE structs such as ActorHandle).
template <typename... A>
Payload pack_args(const A&... values) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  pk.pack_array(sizeof...(A));
  (pk.pack(values), ...);
  Payload p;
  p.args.assign(buf.data(), buf.size());
  return p;
}

// Decodes what pack_args<A...> produced. Errors (kDecodeFailure): not msgpack, trailing bytes, not an
// array, wrong element count, an element of the wrong type.
template <typename... A>
Result<std::tuple<A...>> unpack_args(const Payload& p) {
  try {
    std::size_t offset = 0;
    msgpack::object_handle oh =
        msgpack::unpack(p.args.data(), p.args.size(), offset, nullptr, nullptr, bounded_by(p.args.size()));
    if (offset != p.args.size()) return Status::decode_failure("trailing bytes after arguments");
    const msgpack::object& o = oh.get();
    if (o.type != msgpack::type::ARRAY) return Status::decode_failure("arguments are not an array");
    if (o.via.array.size != sizeof...(A)) {
      return Status::decode_failure("expected " + std::to_string(sizeof...(A)) + " arguments, got " +
                                    std::to_string(o.via.array.size));
    }
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return std::tuple<A...>(o.via.array.ptr[I].as<A>()...);
    }(std::index_sequence_for<A...>{});
  } catch (const std::exception& e) {
    return Status::decode_failure(std::string("arguments: ") + e.what());
  }
}

// Shorthand for one argument: unpack_one<T>(p) == get<0>(unpack_args<T>(p)).
template <typename T>
Result<T> unpack_one(const Payload& p) {
  auto r = unpack_args<T>(p);
  if (!r.ok()) return r.status();
  return std::get<0>(std::move(r).value());
}

}  // namespace ist::rt
