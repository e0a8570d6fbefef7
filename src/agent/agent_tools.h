// The real tools for episodes: the Toolbox (toolbox.h) seen as the runner's ToolSet.
#pragma once

#include "agent/episode.h"
#include "agent/toolbox.h"

namespace cr1::agent {

// `toolbox` must outlive the ToolSet.
ToolSet tools_of(Toolbox& toolbox);

}  // namespace cr1::agent
