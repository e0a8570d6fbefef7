#include "model/packed_linear.h"

namespace cr1::model {

bool PackedLinear::available() { return at::hasMKLDNN(); }

PackedLinear::PackedLinear(const at::Tensor& weight, const at::Tensor& bias)
    : out_(weight.size(0)), in_(weight.size(1)) {
  auto w = weight.detach().contiguous().view({out_, in_, 1, 1}).to_mkldnn();
  packed_ = at::mkldnn_reorder_conv2d_weight(w, {0, 0}, {1, 1}, {1, 1}, 1);
  if (bias.defined()) bias_ = bias.detach().clone();
}

at::Tensor PackedLinear::operator()(const at::Tensor& x) const {
  auto sizes = x.sizes().vec();
  const int64_t rows = x.numel() / in_;
  // Rows become the spatial height of one image, so oneDNN runs one GEMM over all of them.
  auto image = x.reshape({rows, in_}).t().contiguous().view({1, in_, rows, 1}).to_mkldnn();  // (1, in, rows, 1)
  auto y = at::mkldnn_convolution(image, packed_, bias_.defined() ? c10::optional<at::Tensor>(bias_) : c10::nullopt,
                                  {0, 0}, {1, 1}, {1, 1}, 1)
               .to_dense()
               .view({out_, rows})
               .t();  // (rows, out)
  sizes.back() = out_;
  return y.contiguous().view(sizes);
}

}  // namespace cr1::model
