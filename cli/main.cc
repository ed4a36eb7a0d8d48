// gantryctl: command-line client of gantryd. All logic lives in cli/cli.h.
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "cli/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  const char* env_endpoint = std::getenv("GANTRY_ENDPOINT");
  return gantry::cli::Run(args, env_endpoint == nullptr ? "" : env_endpoint, std::cin, std::cout,
                          std::cerr, /*err_is_terminal=*/isatty(STDERR_FILENO) == 1);
}
