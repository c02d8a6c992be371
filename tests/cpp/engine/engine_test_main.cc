// The engine tests' main: runs the tests, then leaves without running static destructors.
// Tests that push a query past the session memory limit make the engine abandon that plan and
// its thread pool (engine/execution.cc: some Arrow kernels never recover from a refused
// allocation); those threads may still be finishing the plan's last tasks when main returns,
// and exit() would destroy libarrow's globals under them.
#include <cstdio>
#include <cstdlib>

#include <gtest/gtest.h>

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  int result = RUN_ALL_TESTS();
  std::fflush(stdout);
  std::fflush(stderr);
  std::_Exit(result);
}
