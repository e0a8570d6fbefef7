#include "eval/svg_chart.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace cr1::eval {
namespace {

constexpr double kWidth = 760, kHeight = 440;
constexpr double kLeft = 70, kRight = 190, kTop = 44, kBottom = 64;  // margins; the legend sits on the right
constexpr const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                   "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

const char* color(size_t i) { return kColors[i % std::size(kColors)]; }

// Maps data coordinates to the plot area.
struct Frame {
  double x0, x1, y0, y1;  // data range
  double px(double x) const { return kLeft + (x - x0) / (x1 - x0) * (kWidth - kLeft - kRight); }
  double py(double y) const { return kHeight - kBottom - (y - y0) / (y1 - y0) * (kHeight - kTop - kBottom); }
};

std::string tick_text(double v, double step) {
  int decimals = step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
  if (std::fabs(v) < step * 1e-9) v = 0;  // no "-0"
  return fmt::format("{:.{}f}", v, std::clamp(decimals, 0, 6));
}

std::string header(const std::string& title) {
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect x=\"0\" y=\"0\" width=\"{0}\" height=\"{1}\" fill=\"white\"/>\n"
      "<text x=\"{2}\" y=\"24\" font-size=\"15\" text-anchor=\"middle\">{3}</text>\n",
      kWidth, kHeight, (kLeft + kWidth - kRight) / 2, xml_escape(title));
}

// Grid lines, tick labels and axis titles.
std::string axes(const Frame& f, const std::vector<double>& xt, const std::vector<double>& yt, const std::string& x_label,
                 const std::string& y_label) {
  std::string s;
  double ystep = yt.size() > 1 ? yt[1] - yt[0] : 1;
  for (double y : yt)
    s += fmt::format(
        "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>\n"
        "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n",
        kLeft, f.py(y), kWidth - kRight, f.py(y), kLeft - 6, f.py(y) + 4, tick_text(y, ystep));
  if (!xt.empty()) {
    double xstep = xt.size() > 1 ? xt[1] - xt[0] : 1;
    for (double x : xt)
      s += fmt::format(
          "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#eee\"/>\n"
          "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n",
          f.px(x), kTop, f.px(x), kHeight - kBottom, f.px(x), kHeight - kBottom + 16, tick_text(x, xstep));
  }
  if (f.y0 < 0 && f.y1 > 0)  // the zero line (= -Oz) stands out
    s += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#888\"/>\n", kLeft, f.py(0),
                     kWidth - kRight, f.py(0));
  s += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"none\" stroke=\"#444\"/>\n",
                   kLeft, kTop, kWidth - kLeft - kRight, kHeight - kTop - kBottom);
  s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n", (kLeft + kWidth - kRight) / 2,
                   kHeight - 18, xml_escape(x_label));
  s += fmt::format("<text x=\"16\" y=\"{0:.1f}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {0:.1f})\">{1}</text>\n",
                   (kTop + kHeight - kBottom) / 2, xml_escape(y_label));
  return s;
}

std::string legend(const std::vector<std::string>& labels) {
  std::string s;
  for (size_t i = 0; i < labels.size(); ++i) {
    double y = kTop + 10 + 20 * static_cast<double>(i);
    s += fmt::format(
        "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"14\" height=\"4\" fill=\"{}\"/>\n"
        "<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>\n",
        kWidth - kRight + 12, y - 4, color(i), kWidth - kRight + 32, y + 1, xml_escape(labels[i]));
  }
  return s;
}

}  // namespace

std::string xml_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) lo = 0, hi = 1;
  if (hi < lo) std::swap(lo, hi);
  if (hi - lo < 1e-12) {
    lo -= 0.5;
    hi += 0.5;
  }
  double raw = (hi - lo) / std::max(target, 1);
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double r = raw / mag;
  double step = (r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10) * mag;
  std::vector<double> ticks;
  double first = std::floor(lo / step + 1e-9) * step, last = std::ceil(hi / step - 1e-9) * step;
  for (int i = 0; first + i * step <= last + step * 1e-9; ++i) ticks.push_back(first + i * step);
  return ticks;
}

std::string render_line_chart(const LineChart& chart) {
  double xmin = 0, xmax = 0, ymin = 0, ymax = 0;  // the axes always include (0, 0)
  for (const auto& s : chart.series)
    for (auto [x, y] : s.points) {
      xmin = std::min(xmin, x), xmax = std::max(xmax, x);
      ymin = std::min(ymin, y), ymax = std::max(ymax, y);
    }
  auto xt = nice_ticks(xmin, xmax), yt = nice_ticks(ymin, ymax);
  Frame f{xt.front(), xt.back(), yt.front(), yt.back()};
  std::string s = header(chart.title) + axes(f, xt, yt, chart.x_label, chart.y_label);
  std::vector<std::string> labels;
  for (size_t i = 0; i < chart.series.size(); ++i) {
    const auto& ser = chart.series[i];
    labels.push_back(ser.label);
    std::string pts;
    for (size_t k = 0; k < ser.points.size(); ++k) {
      auto [x, y] = ser.points[k];
      if (chart.step && k > 0) pts += fmt::format("{:.1f},{:.1f} ", f.px(x), f.py(ser.points[k - 1].second));
      pts += fmt::format("{:.1f},{:.1f} ", f.px(x), f.py(y));
    }
    if (!pts.empty()) pts.pop_back();
    s += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/>\n", color(i), pts);
  }
  s += legend(labels);
  s += "</svg>\n";
  return s;
}

std::string render_bar_chart(const BarChart& chart) {
  double ymin = 0, ymax = 0;
  for (const auto& b : chart.bars)
    for (double v : {b.value, b.low, b.high})
      if (std::isfinite(v)) ymin = std::min(ymin, v), ymax = std::max(ymax, v);
  auto yt = nice_ticks(ymin, ymax);
  double n = static_cast<double>(std::max<size_t>(chart.bars.size(), 1));
  Frame f{0, n, yt.front(), yt.back()};
  std::string s = header(chart.title) + axes(f, {}, yt, "", chart.y_label);
  std::vector<std::string> labels;
  for (size_t i = 0; i < chart.bars.size(); ++i) {
    const Bar& b = chart.bars[i];
    labels.push_back(b.label);
    double slot = f.px(1) - f.px(0), x = f.px(static_cast<double>(i)) + slot * 0.2, w = slot * 0.6;
    double top = f.py(std::max(b.value, 0.0)), bottom = f.py(std::min(b.value, 0.0));
    s += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\"/>\n", x, top, w,
                     std::max(bottom - top, 0.5), color(i));
    if (std::isfinite(b.low) && std::isfinite(b.high)) {
      double cx = x + w / 2, lo = f.py(b.low), hi = f.py(b.high);
      s += fmt::format(
          "<path d=\"M{0:.1f} {1:.1f} V{2:.1f} M{3:.1f} {1:.1f} H{4:.1f} M{3:.1f} {2:.1f} H{4:.1f}\" stroke=\"#222\" "
          "stroke-width=\"1.5\" fill=\"none\"/>\n",
          cx, lo, hi, cx - w / 6, cx + w / 6);
    }
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n", x + w / 2,
                     kHeight - kBottom + 16, xml_escape(b.label));
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" font-size=\"11\">{:.2f}</text>\n", x + w / 2,
                     kHeight - kBottom + 32, b.value);
  }
  s += legend(labels);
  s += "</svg>\n";
  return s;
}

}  // namespace cr1::eval
