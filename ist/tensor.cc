#include "ist/tensor.h"

#include <cblas.h>

#include <cassert>

namespace ist {

void gemm(bool transpose_a, bool transpose_b, float alpha, const Matrix& a, const Matrix& b, float beta,
          Matrix& c) {
  const Index m = transpose_a ? a.cols() : a.rows();
  const Index k = transpose_a ? a.rows() : a.cols();
  const Index n = transpose_b ? b.rows() : b.cols();
  assert((transpose_b ? b.cols() : b.rows()) == k);
  assert(c.rows() == m && c.cols() == n);
  if (m == 0 || n == 0) return;
  if (k == 0) {
    c *= beta;
    return;
  }
  cblas_sgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans, transpose_b ? CblasTrans : CblasNoTrans,
              static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), alpha, a.data(),
              static_cast<int>(a.cols()), b.data(), static_cast<int>(b.cols()), beta, c.data(),
              static_cast<int>(c.cols()));
}

void set_compute_threads(int threads) { openblas_set_num_threads(threads < 1 ? 1 : threads); }

}  // namespace ist
