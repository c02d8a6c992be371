#include "delta/deletion_vector.h"

#include <gtest/gtest.h>

namespace codeanatomy::delta {
namespace {
TEST(Z85Test, Placeholder) { EXPECT_EQ(Z85Encode(""), ""); }
}  // namespace
}  // namespace codeanatomy::delta
