// newswatch: streaming news monitoring. See README.md.
#include "daemon/app/cli.h"

int main(int argc, char** argv) {
  return newswatch::app::main(argc, argv);
}
