// The on-access scanner's clean-result cache, without fanotify: what makes a cached verdict
// stop counting (a new version of the file, a reload) and what bounds it (least recently used
// goes first). The scanner itself is tested for real, as root, by on_access_test.py.
#include "on_access.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

namespace vigil::daemon {
namespace {

FileKey key(ino_t ino, int64_t mtime = 100, int64_t size = 10) {
  FileKey k;
  k.dev = 7;
  k.ino = ino;
  k.mtime_ns = mtime;
  k.ctime_ns = mtime;
  k.size = size;
  return k;
}

TEST(CleanCacheTest, FindsWhatWasInsertedForTheSameGeneration) {
  CleanCache cache(8);
  EXPECT_FALSE(cache.contains(key(1), 1));
  cache.insert(key(1), 1);
  EXPECT_TRUE(cache.contains(key(1), 1));
  EXPECT_FALSE(cache.contains(key(2), 1));
  EXPECT_EQ(cache.size(), 1u);
}

TEST(CleanCacheTest, AnotherVersionOfTheFileIsNotCached) {
  CleanCache cache(8);
  cache.insert(key(1, 100, 10), 1);
  EXPECT_FALSE(cache.contains(key(1, 101, 10), 1));  // rewritten: new mtime
  EXPECT_FALSE(cache.contains(key(1, 100, 11), 1));  // appended: new size
  FileKey touched = key(1, 100, 10);
  touched.ctime_ns = 200;  // content changed, then mtime set back with utimensat
  EXPECT_FALSE(cache.contains(touched, 1));
  FileKey other_device = key(1, 100, 10);
  other_device.dev = 8;
  EXPECT_FALSE(cache.contains(other_device, 1));
  EXPECT_TRUE(cache.contains(key(1, 100, 10), 1));
}

TEST(CleanCacheTest, ANewEngineGenerationEmptiesIt) {
  CleanCache cache(8);
  cache.insert(key(1), 1);
  cache.insert(key(2), 1);
  EXPECT_FALSE(cache.contains(key(1), 2));  // reloaded
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_FALSE(cache.contains(key(1), 1));  // and the old generation does not come back
}

TEST(CleanCacheTest, AVerdictOfTheReplacedEngineIsIgnored) {
  CleanCache cache(8);
  EXPECT_FALSE(cache.contains(key(1), 2));
  cache.insert(key(1), 1);  // a scan that started before the reload ended after it
  EXPECT_FALSE(cache.contains(key(1), 2));
  EXPECT_EQ(cache.size(), 0u);
  cache.insert(key(1), 3);  // an insert can announce the reload too
  EXPECT_TRUE(cache.contains(key(1), 3));
  EXPECT_FALSE(cache.contains(key(1), 2));
}

TEST(CleanCacheTest, DropsTheLeastRecentlyUsedWhenFull) {
  CleanCache cache(3);
  cache.insert(key(1), 1);
  cache.insert(key(2), 1);
  cache.insert(key(3), 1);
  EXPECT_TRUE(cache.contains(key(1), 1));  // 1 is now the most recent; 2 the least
  cache.insert(key(4), 1);
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_FALSE(cache.contains(key(2), 1));
  EXPECT_TRUE(cache.contains(key(1), 1));
  EXPECT_TRUE(cache.contains(key(3), 1));
  EXPECT_TRUE(cache.contains(key(4), 1));
  cache.insert(key(4), 1);  // already there: no second entry
  EXPECT_EQ(cache.size(), 3u);
}

TEST(CleanCacheTest, ZeroCapacityCachesNothing) {
  CleanCache cache(0);
  cache.insert(key(1), 1);
  EXPECT_FALSE(cache.contains(key(1), 1));
}

TEST(FileKeyTest, TakesDeviceInodeTimesAndSizeFromStat) {
  struct stat st {};
  st.st_dev = 3;
  st.st_ino = 4;
  st.st_size = 5;
  st.st_mtim = {6, 7};
  st.st_ctim = {8, 9};
  FileKey k = file_key(st);
  EXPECT_EQ(k.dev, 3u);
  EXPECT_EQ(k.ino, 4u);
  EXPECT_EQ(k.size, 5);
  EXPECT_EQ(k.mtime_ns, 6'000'000'007);
  EXPECT_EQ(k.ctime_ns, 8'000'000'009);
}

}  // namespace
}  // namespace vigil::daemon
