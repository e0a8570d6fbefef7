// Two plain SVG charts for reports, written as text (no plotting library): a
// line chart (optionally as step functions) and a bar chart with CI whiskers.
// Output is standalone, valid XML with an xmlns, so browsers and Markdown
// viewers show it as an image.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cr1::eval {

struct Series {
  std::string label;
  std::vector<std::pair<double, double>> points;  // (x, y), x ascending
};

struct LineChart {
  std::string title, x_label, y_label;
  std::vector<Series> series;
  bool step = true;  // hold each y until the next x (best-so-far curves)
};

struct Bar {
  std::string label;
  double value = 0;
  double low = 0, high = 0;  // whisker ends; NaN for none
};

struct BarChart {
  std::string title, y_label;
  std::vector<Bar> bars;
};

std::string render_line_chart(const LineChart& chart);
std::string render_bar_chart(const BarChart& chart);

// Escapes &, <, >, " and ' for XML text and attributes.
std::string xml_escape(std::string_view text);

// About `target` round-numbered ticks covering [lo, hi] (1, 2 or 5 times a power of ten apart).
std::vector<double> nice_ticks(double lo, double hi, int target = 5);

}  // namespace cr1::eval
