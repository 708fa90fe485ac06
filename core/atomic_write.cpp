#include "core/atomic_write.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/error.h"

namespace linvideo {

namespace {
// fsync of a file or folder by name; false on failure.
bool sync_path(const std::string& path, bool folder) {
  const int fd = ::open(path.c_str(), O_RDONLY | (folder ? O_DIRECTORY : 0) | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

// The permissions a plain new file gets here: 0666 less the process's umask, read from
// /proc/self/status (umask() itself would change it for a moment under the other threads).
mode_t new_file_mode() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Umask:", 0) == 0) {
      try {
        return static_cast<mode_t>(0666 & ~std::stoul(line.substr(6), nullptr, 8));
      } catch (...) {
        break;
      }
    }
  }
  return 0644;
}
}  // namespace

void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write) {
  std::string tmp = path + ".tmp.XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) throw Error(path + ": cannot create a temporary file beside it (" + std::strerror(errno) + ")");
  // mkstemp makes the file private (0600); the result gets the permissions of the file it
  // replaces, or those of any new file (best effort: a failure leaves it private, not unwritten).
  struct stat old {};
  const mode_t mode = ::stat(path.c_str(), &old) == 0 ? (old.st_mode & 07777) : new_file_mode();
  (void)::fchmod(fd, mode);
  ::close(fd);
  auto fail = [&](const std::string& what) {
    std::remove(tmp.c_str());
    throw Error(path + ": " + what);
  };
  try {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) fail(std::string("cannot write (") + std::strerror(errno) + ")");
    write(out);
    out.flush();
    if (!out) fail("write failed (disk full?)");
  } catch (const Error&) {
    throw;
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
  if (!sync_path(tmp, false)) fail(std::string("cannot flush to disk (") + std::strerror(errno) + ")");
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    fail(std::string("cannot rename the temporary file into place (") + std::strerror(errno) + ")");
  const std::string folder = std::filesystem::path(path).parent_path().string();
  sync_path(folder.empty() ? "." : folder, true);  // the rename itself; best effort (some filesystems refuse)
}

void write_text_atomically(const std::string& path, const std::string& text) {
  write_file_atomically(path, [&](std::ostream& out) { out << text; });
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw Error(path + ": read error");
  return text;
}

}  // namespace linvideo
