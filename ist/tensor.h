// Dense float32 tensors used throughout the numerics: row-major Eigen matrices, so a weight matrix
// (out x in), an activation batch (batch x features) and a slice buffer are each one contiguous run of
// floats that the runtime can ship as a raw frame. Not a general tensor library.
#pragma once

#include <Eigen/Core>
#include <cstdint>

namespace ist {

using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vector = Eigen::Matrix<float, Eigen::Dynamic, 1>;
using Index = Eigen::Index;

// C = alpha * op(A) * op(B) + beta * C, single precision, row major, through OpenBLAS's cblas_sgemm.
// REQUIRES: shapes agree; C is already sized (rows of op(A)) x (cols of op(B)); C does not alias A or B.
// Deterministic for fixed shapes and a fixed thread count (see set_compute_threads).
void gemm(bool transpose_a, bool transpose_b, float alpha, const Matrix& a, const Matrix& b, float beta,
          Matrix& c);

// Number of threads the matrix kernels may use in this process. Default 1: one trainer per core.
// Call before any training; not thread-safe against concurrent gemm calls.
void set_compute_threads(int threads);

}  // namespace ist
