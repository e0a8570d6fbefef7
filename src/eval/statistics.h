// Small descriptive statistics for the evaluation reports: mean, sample
// standard deviation, Student-t confidence intervals, percentiles and the
// geometric mean. Kept dependency-free so the numbers can be checked by hand.
#pragma once

#include <cstddef>
#include <span>

namespace cr1::eval {

double mean(std::span<const double> xs);                 // NaN when empty
double sample_sd(std::span<const double> xs);            // n-1 denominator; NaN when n < 2
double geomean(std::span<const double> xs);              // NaN when empty or any x <= 0
// Linear interpolation between closest ranks (numpy's default), q in [0, 1].
double percentile(std::span<const double> xs, double q);  // NaN when empty
double median(std::span<const double> xs);

// Two-sided Student-t critical value t_{1-alpha/2, df}, e.g. 12.706 for
// (0.95, 1). Exact table values for the usual levels and df <= 30, then the
// Cornish-Fisher expansion around the normal quantile (error < 1e-3).
double t_critical(double df, double confidence = 0.95);

struct Interval {
  double mean = 0;
  double half_width = 0;  // NaN when it cannot be estimated (n < 2)
  size_t n = 0;
  double low() const { return mean - half_width; }
  double high() const { return mean + half_width; }
};

// mean ± t * sd / sqrt(n).
Interval confidence_interval(std::span<const double> xs, double confidence = 0.95);

// The CI of a mean of group means (the paper's "mean of suite means"): the
// variance is sum(sd_g^2 / n_g) / G^2, and the degrees of freedom follow
// Welch-Satterthwaite. Every group needs n >= 2 for a finite half width.
struct GroupSample {
  double mean = 0, sd = 0;
  size_t n = 0;
};
Interval mean_of_means_interval(std::span<const GroupSample> groups, double confidence = 0.95);

}  // namespace cr1::eval
