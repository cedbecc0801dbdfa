// The `newswatch` command line: parses arguments and dispatches to a command.
#pragma once

namespace newswatch::app {

// Runs the command line; returns the process exit code.
int main(int argc, char** argv);

}  // namespace newswatch::app
