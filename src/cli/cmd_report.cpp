// `compiler-r1 report RUN_DIR [--out DIR]`: report.md, summary.csv and SVG
// plots from an eval run's records.
#include <fmt/format.h>

#include "cli/cli_common.h"
#include "cli/command_registry.h"
#include "eval/report.h"

namespace cr1::cli {
namespace {

struct ReportArgs {
  std::string run_dir, out;
  bool json = false;
};

void run_report(const ReportArgs& a) {
  auto files = unwrap(eval::write_report(a.run_dir, a.out));
  if (a.json) {
    nlohmann::json j = {{"records", files.summary.records}, {"files", nlohmann::json::array()}};
    for (const auto& p : files.written) j["files"].push_back(p.string());
    print_json(j);
    return;
  }
  fmt::print("{}\n", eval::render_headline_text(files.summary));
  for (const auto& p : files.written) fmt::print("wrote {}\n", p.string());
}

void add_report_command(CLI::App& app) {
  auto a = std::make_shared<ReportArgs>();
  auto* cmd = app.add_subcommand("report", "Markdown, CSV and SVG report of an eval run");
  cmd->add_option("run_dir", a->run_dir, "Run folder made by `compiler-r1 eval --out`")->required();
  cmd->add_option("--out", a->out, "Where to write the report (default: the run folder)");
  cmd->add_flag("--json", a->json, "Machine-readable list of what was written");
  cmd->callback([a] { run_report(*a); });
}

const CommandRegistration kRegistration{71, add_report_command};

}  // namespace
}  // namespace cr1::cli
