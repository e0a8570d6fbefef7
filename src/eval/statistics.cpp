#include "eval/statistics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace cr1::eval {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// t_{0.975, df} for df = 1..30 (any statistics textbook's table).
constexpr double kT95[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                           2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                           2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};

// Continued fraction of the incomplete beta function (modified Lentz).
double beta_continued_fraction(double a, double b, double x) {
  constexpr double tiny = 1e-300, eps = 1e-14;
  double qab = a + b, qap = a + 1, qam = a - 1;
  double c = 1, d = 1 - qab * x / qap;
  if (std::fabs(d) < tiny) d = tiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= 300; ++m) {
    double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (std::fabs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (std::fabs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    double del = d * c;
    h *= del;
    if (std::fabs(del - 1) < eps) break;
  }
  return h;
}

// Regularized incomplete beta I_x(a, b).
double incomplete_beta(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  double front = std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x));
  if (x < (a + 1) / (a + b + 2)) return front * beta_continued_fraction(a, b, x) / a;
  return 1 - front * beta_continued_fraction(b, a, 1 - x) / b;
}

// P(|T| > t) for Student's t with df degrees of freedom.
double two_sided_tail(double t, double df) { return incomplete_beta(df / 2, 0.5, df / (df + t * t)); }

}  // namespace

double mean(std::span<const double> xs) {
  if (xs.empty()) return kNaN;
  double s = 0;
  for (double x : xs) s += x;
  return s / static_cast<double>(xs.size());
}

double sample_sd(std::span<const double> xs) {
  if (xs.size() < 2) return kNaN;
  double m = mean(xs), ss = 0;
  for (double x : xs) ss += (x - m) * (x - m);
  return std::sqrt(ss / static_cast<double>(xs.size() - 1));
}

double geomean(std::span<const double> xs) {
  if (xs.empty()) return kNaN;
  double s = 0;
  for (double x : xs) {
    if (!(x > 0)) return kNaN;
    s += std::log(x);
  }
  return std::exp(s / static_cast<double>(xs.size()));
}

double percentile(std::span<const double> xs, double q) {
  if (xs.empty()) return kNaN;
  std::vector<double> v(xs.begin(), xs.end());
  std::sort(v.begin(), v.end());
  double pos = std::clamp(q, 0.0, 1.0) * static_cast<double>(v.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(pos));
  size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

double median(std::span<const double> xs) { return percentile(xs, 0.5); }

double t_critical(double df, double confidence) {
  if (!(df > 0) || !(confidence > 0 && confidence < 1)) return kNaN;
  if (confidence == 0.95 && df <= 30 && df == std::floor(df)) return kT95[static_cast<int>(df) - 1];
  // Solve P(|T| > t) = 1 - confidence by bisection; the tail falls monotonically in t.
  double alpha = 1 - confidence, lo = 0, hi = 1;
  while (two_sided_tail(hi, df) > alpha && hi < 1e12) hi *= 2;
  for (int i = 0; i < 200 && hi - lo > 1e-12 * hi; ++i) {
    double mid = (lo + hi) / 2;
    (two_sided_tail(mid, df) > alpha ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

Interval confidence_interval(std::span<const double> xs, double confidence) {
  Interval r;
  r.n = xs.size();
  r.mean = mean(xs);
  if (xs.size() < 2) {
    r.half_width = kNaN;
    return r;
  }
  double n = static_cast<double>(xs.size());
  r.half_width = t_critical(n - 1, confidence) * sample_sd(xs) / std::sqrt(n);
  return r;
}

Interval mean_of_means_interval(std::span<const GroupSample> groups, double confidence) {
  Interval r;
  if (groups.empty()) {
    r.mean = r.half_width = kNaN;
    return r;
  }
  double g = static_cast<double>(groups.size()), sum = 0, var = 0, df_den = 0;
  bool estimable = true;
  for (const auto& s : groups) {
    sum += s.mean;
    r.n += s.n;
    if (s.n < 2 || !std::isfinite(s.sd)) {
      estimable = false;
      continue;
    }
    double v = s.sd * s.sd / static_cast<double>(s.n);  // variance of this group's mean
    var += v;
    df_den += v * v / static_cast<double>(s.n - 1);
  }
  r.mean = sum / g;
  if (!estimable) {
    r.half_width = kNaN;
  } else if (var == 0) {
    r.half_width = 0;  // every run gave the same value
  } else {
    double df = var * var / df_den;  // Welch-Satterthwaite
    r.half_width = t_critical(df, confidence) * std::sqrt(var) / g;
  }
  return r;
}

}  // namespace cr1::eval
