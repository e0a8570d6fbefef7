#include "model/packed_linear.h"

#include "model/small_gemm.h"

namespace cr1::model {

bool PackedLinear::available() { return at::hasMKLDNN(); }

PackedLinear::PackedLinear(const at::Tensor& weight, const at::Tensor& bias)
    : out_(weight.size(0)), in_(weight.size(1)) {
  auto w = weight.detach().contiguous().view({out_, in_, 1, 1}).to_mkldnn();
  packed_ = at::mkldnn_reorder_conv2d_weight(w, {0, 0}, {1, 1}, {1, 1}, 1);
  if (bias.defined()) bias_ = bias.detach().clone();
  weight_ = weight.detach().contiguous();
  // Weights that came from a bf16 checkpoint are bf16 values widened; then a few rows read a bf16 copy:
  // the same products at half the memory traffic (model/small_gemm.h).
  auto narrow = weight_.to(at::kBFloat16);
  if (at::equal(narrow.to(at::kFloat), weight_)) weight_bf16_ = narrow.contiguous();
}

at::Tensor PackedLinear::operator()(const at::Tensor& x) const {
  auto sizes = x.sizes().vec();
  const int64_t rows = x.numel() / in_;
  if (rows <= kSmallRows && small_gemm_available()) {
    auto xc = x.contiguous();
    auto y = at::empty({rows, out_}, x.options());
    const float* b = bias_.defined() ? bias_.data_ptr<float>() : nullptr;
    if (weight_bf16_.defined())
      small_gemm(xc.data_ptr<float>(), rows, reinterpret_cast<const uint16_t*>(weight_bf16_.data_ptr<at::BFloat16>()),
                 b, y.data_ptr<float>(), out_, in_);
    else
      small_gemm(xc.data_ptr<float>(), rows, weight_.data_ptr<float>(), b, y.data_ptr<float>(), out_, in_);
    sizes.back() = out_;
    return y.view(sizes);
  }
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
