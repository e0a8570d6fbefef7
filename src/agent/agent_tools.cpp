#include "agent/agent_tools.h"

namespace cr1::agent {

ToolSet tools_of(Toolbox& toolbox) {
  ToolSet t;
  t.call = [&toolbox](std::string_view name, const nlohmann::json& arguments) { return toolbox.call(name, arguments); };
  t.schemas = Toolbox::schemas();
  return t;
}

}  // namespace cr1::agent
