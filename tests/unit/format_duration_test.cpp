// The one duration format (core/format_duration, issue 19), used by the CLI's progress lines and
// the studio's status bar alike.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/format_duration.h"

TEST(FormatDuration, SecondsMinutesAndHoursRoundedToTheSecond) {
  EXPECT_EQ(linvideo::format_duration(0), "0 s");
  EXPECT_EQ(linvideo::format_duration(44.6), "45 s");
  EXPECT_EQ(linvideo::format_duration(59.4), "59 s");
  EXPECT_EQ(linvideo::format_duration(59.6), "1 min 00 s");
  EXPECT_EQ(linvideo::format_duration(185), "3 min 05 s");
  EXPECT_EQ(linvideo::format_duration(3599.4), "59 min 59 s");
  EXPECT_EQ(linvideo::format_duration(7625), "2 h 07 min");
  EXPECT_EQ(linvideo::format_duration(3600 * 9999.0), "9999 h 00 min");
}

TEST(FormatDuration, NoEstimateAndAbsurdValuesStayShort) {
  EXPECT_EQ(linvideo::format_duration(-1), "");
  EXPECT_EQ(linvideo::format_duration(std::nan("")), "");
  EXPECT_EQ(linvideo::format_duration(std::numeric_limits<double>::infinity()), "");
  EXPECT_EQ(linvideo::format_duration(1e300), "more than 10000 h");  // llround would overflow
}
