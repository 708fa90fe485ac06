#include "core/io/format/torch_archive.h"

#include <cstring>
#include <set>
#include <tuple>
#include <unordered_map>

#include "core/error.h"

namespace linvideo::io {
namespace {

constexpr std::uint64_t kMaxDirectoryBytes = 256ull << 20;  // central directory
constexpr std::uint64_t kMaxEntries = 1u << 20;
constexpr std::uint64_t kMaxPickleBytes = 64ull << 20;      // a state dict's pickle is kilobytes
constexpr std::size_t kMaxValues = 1u << 20;  // values the pickle may build, and stack and mark depth
constexpr std::size_t kMaxDictDepth = 64;
constexpr std::size_t kMaxNameBytes = 4096;
constexpr std::size_t kMaxDims = 64;

[[noreturn]] void fail(const std::string& label, const std::string& what) { throw Error(label + ": " + what); }

std::uint64_t le(const std::uint8_t* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

std::string hex_byte(unsigned v) {
  const char* digits = "0123456789abcdef";
  return std::string("0x") + digits[(v >> 4) & 15] + digits[v & 15];
}

// ---------------------------------------------------------------------------------------------
// The zip layer: the central directory, then a stored entry's local header.

struct ZipEntry {
  std::uint64_t method = 0, flags = 0, packed = 0, size = 0, local = 0;
};

class Zip {
 public:
  Zip(std::uint64_t file_size, const ReadAt& read, const std::string& label)
      : file_size_(file_size), read_(read), label_(label) {
    read_directory();
  }

  const std::map<std::string, ZipEntry>& entries() const { return entries_; }

  // Where a stored entry's bytes are; refuses compressed or encrypted entries and any that reach
  // past the end of the file.
  ArchiveSpan span(const std::string& name) const {
    const auto it = entries_.find(name);
    if (it == entries_.end()) fail(label_, "the archive has no entry '" + name + "'");
    const ZipEntry& e = it->second;
    if (e.flags & 1u) fail(label_, "entry '" + name + "' is encrypted");
    if (e.method != 0 || e.packed != e.size)
      fail(label_, "entry '" + name + "' is compressed (torch.save stores its entries uncompressed)");
    if (e.local > file_size_ || file_size_ - e.local < 30) fail(label_, "entry '" + name + "': its local header lies past the end of the file");
    std::uint8_t h[30];
    read_(e.local, sizeof h, h);
    if (le(h, 4) != 0x04034b50u) fail(label_, "entry '" + name + "': no local header where the directory says");
    const std::uint64_t start = e.local + 30 + le(h + 26, 2) + le(h + 28, 2);
    if (start > file_size_ || file_size_ - start < e.size)
      fail(label_, "entry '" + name + "' (" + std::to_string(e.size) + " bytes) runs past the end of the file");
    return {start, e.size};
  }

 private:
  void read_directory() {
    if (file_size_ < 22) fail(label_, "too short to be a zip archive");
    // The end-of-central-directory record is in the last 64 KiB + 22 bytes (its comment is at most
    // 65,535 bytes); the zip64 locator, when there is one, sits just before it.
    const std::uint64_t tail_size = std::min<std::uint64_t>(file_size_, 65535 + 22 + 20);
    const std::uint64_t tail_at = file_size_ - tail_size;
    std::vector<std::uint8_t> tail(static_cast<std::size_t>(tail_size));
    read_(tail_at, tail.size(), tail.data());
    std::size_t eocd = tail.size() - 22;
    while (le(tail.data() + eocd, 4) != 0x06054b50u) {
      if (eocd == 0) fail(label_, "no zip end-of-directory record (not a torch.save archive, or truncated)");
      --eocd;
    }
    const std::uint8_t* r = tail.data() + eocd;
    std::uint64_t count = le(r + 10, 2), dir_size = le(r + 12, 4), dir_at = le(r + 16, 4);
    if (count == 0xffffu || dir_size == 0xffffffffu || dir_at == 0xffffffffu) {
      if (eocd < 20 || le(r - 20, 4) != 0x07064b50u) fail(label_, "a zip64 archive without its zip64 locator");
      const std::uint64_t z64 = le(r - 20 + 8, 8);
      if (z64 > file_size_ || file_size_ - z64 < 56) fail(label_, "the zip64 directory record lies past the end of the file");
      std::uint8_t z[56];
      read_(z64, sizeof z, z);
      if (le(z, 4) != 0x06064b50u) fail(label_, "no zip64 directory record where the locator says");
      count = le(z + 32, 8);
      dir_size = le(z + 40, 8);
      dir_at = le(z + 48, 8);
    }
    if (dir_at > file_size_ || file_size_ - dir_at < dir_size) fail(label_, "the zip directory lies past the end of the file");
    if (dir_size > kMaxDirectoryBytes) fail(label_, "the zip directory is larger than 256 MiB");
    if (count > kMaxEntries) fail(label_, "the zip directory lists more than " + std::to_string(kMaxEntries) + " entries");
    if (count * 46 > dir_size) fail(label_, "the zip directory is too short for its " + std::to_string(count) + " entries");
    std::vector<std::uint8_t> dir(static_cast<std::size_t>(dir_size));
    if (!dir.empty()) read_(dir_at, dir.size(), dir.data());
    std::size_t at = 0;
    for (std::uint64_t i = 0; i < count; ++i) {
      const std::string where = "zip directory entry " + std::to_string(i);
      if (dir.size() - at < 46 || le(dir.data() + at, 4) != 0x02014b50u) fail(label_, where + " is malformed");
      const std::uint8_t* c = dir.data() + at;
      ZipEntry e;
      e.flags = le(c + 8, 2);
      e.method = le(c + 10, 2);
      e.packed = le(c + 20, 4);
      e.size = le(c + 24, 4);
      e.local = le(c + 42, 4);
      const std::size_t name_len = le(c + 28, 2), extra_len = le(c + 30, 2), comment_len = le(c + 32, 2);
      if (dir.size() - at - 46 < name_len + extra_len + comment_len) fail(label_, where + " runs past the directory");
      const std::string name(reinterpret_cast<const char*>(c + 46), name_len);
      // zip64 extra field: the 8-byte values of whichever fields were 0xffffffff, in this order.
      const std::uint8_t* x = c + 46 + name_len;
      const std::uint8_t* x_end = x + extra_len;
      while (x_end - x >= 4) {
        const std::uint64_t id = le(x, 2), len = le(x + 2, 2);
        if (static_cast<std::uint64_t>(x_end - x - 4) < len) fail(label_, where + ": an extra field runs past the entry");
        if (id == 0x0001) {
          const std::uint8_t* v = x + 4;
          std::uint64_t left = len;
          for (std::uint64_t* field : {&e.size, &e.packed, &e.local}) {
            if (*field != 0xffffffffu) continue;
            if (left < 8) fail(label_, where + ": the zip64 extra field is too short");
            *field = le(v, 8);
            v += 8;
            left -= 8;
          }
        }
        x += 4 + len;
      }
      if (!entries_.emplace(name, e).second) fail(label_, "the zip lists entry '" + name + "' twice");
      at += 46 + name_len + extra_len + comment_len;
    }
  }

  std::uint64_t file_size_;
  const ReadAt& read_;
  std::string label_;
  std::map<std::string, ZipEntry> entries_;
};

// ---------------------------------------------------------------------------------------------
// The pickle machine. Values live in one arena and refer to each other by index, so a hostile
// pickle can nest or share them any way it likes without recursion anywhere.

enum class Kind : std::uint8_t { None, Bool, Int, Float, Str, Bytes, Tuple, List, Dict, Global, Storage, Tensor, Opaque };

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::None: return "None";
    case Kind::Bool: return "a bool";
    case Kind::Int: return "an int";
    case Kind::Float: return "a float";
    case Kind::Str: return "a string";
    case Kind::Bytes: return "bytes";
    case Kind::Tuple: return "a tuple";
    case Kind::List: return "a list";
    case Kind::Dict: return "a dict";
    case Kind::Global: return "a global";
    case Kind::Storage: return "a storage";
    case Kind::Tensor: return "a tensor";
    case Kind::Opaque: return "an object";
  }
  return "a value";
}

struct Value {
  Kind kind = Kind::None;
  std::int64_t i = 0;  // Int, Bool; index into storages_/tensors_ for Storage and Tensor
  std::string s;       // Str, Bytes; "module.name" for Global
  std::vector<std::uint32_t> items;  // Tuple and List elements; Dict keys and values, alternating
};

struct StorageRef {
  std::string key;
  DType dtype;
  std::int64_t numel;
};

struct TensorRef {
  std::size_t storage;
  std::int64_t offset;
  std::vector<std::int64_t> sizes, strides;
};

bool storage_dtype(const std::string& type, DType* out) {
  static const std::pair<const char*, DType> kTypes[] = {
      {"torch.FloatStorage", DType::F32},  {"torch.DoubleStorage", DType::F64},   {"torch.HalfStorage", DType::F16},
      {"torch.BFloat16Storage", DType::BF16}, {"torch.LongStorage", DType::I64}, {"torch.IntStorage", DType::I32},
      {"torch.ShortStorage", DType::I16},  {"torch.CharStorage", DType::I8},     {"torch.ByteStorage", DType::U8},
      {"torch.BoolStorage", DType::Bool},  {"torch.UntypedStorage", DType::U8},
  };
  for (const auto& [name, dtype] : kTypes) {
    if (type == name) {
      *out = dtype;
      return true;
    }
  }
  return false;
}

class Machine {
 public:
  Machine(const std::uint8_t* p, std::size_t n, std::string label) : p_(p), n_(n), label_(std::move(label)) {}

  // Runs the program to STOP; returns the index of the value it leaves.
  std::uint32_t run() {
    while (true) {
      if (at_ >= n_) fail("the pickle ends without STOP");
      op_at_ = at_;
      const unsigned op = p_[at_++];
      switch (op) {
        case 0x80: skip(1); break;  // PROTO
        case 0x95: skip(8); break;  // FRAME
        case '.': {                 // STOP
          if (region() == 0) fail("STOP with nothing on the stack");
          return stack_.back();
        }
        case '(':
          if (marks_.size() >= kMaxValues) fail("more than " + std::to_string(kMaxValues) + " open MARKs");
          marks_.push_back(stack_.size());
          break;
        case '0': if (region() > 0) stack_.pop_back(); else pop_mark(); break;  // POP
        case '1': pop_mark(); break;                                            // POP_MARK
        case '2': { const std::uint32_t top = peek(); push_index(top); break; }  // DUP
        case 'N': push(Kind::None); break;
        case 0x88: push_bool(true); break;
        case 0x89: push_bool(false); break;
        case 'K': push_int(static_cast<std::int64_t>(fixed(1))); break;
        case 'M': push_int(static_cast<std::int64_t>(fixed(2))); break;
        case 'J': push_int(static_cast<std::int32_t>(static_cast<std::uint32_t>(fixed(4)))); break;
        case 0x8a: push_long(fixed(1)); break;  // LONG1
        case 0x8b: push_long(fixed(4)); break;  // LONG4
        case 'G': skip(8); push(Kind::Float); break;  // BINFLOAT: a float's value is never needed
        case 'X': case 'T': push_text(Kind::Str, fixed(4)); break;
        case 0x8c: case 'U': push_text(Kind::Str, fixed(1)); break;
        case 0x8d: push_text(Kind::Str, fixed(8)); break;
        case 'B': push_text(Kind::Bytes, fixed(4)); break;
        case 'C': push_text(Kind::Bytes, fixed(1)); break;
        case 0x8e: push_text(Kind::Bytes, fixed(8)); break;
        case ')': push(Kind::Tuple); break;
        case 't': { auto items = pop_mark(); push(Kind::Tuple, std::move(items)); break; }
        case 0x85: case 0x86: case 0x87: {  // TUPLE1..3
          const std::size_t k = op - 0x84;
          if (region() < k) fail("TUPLE" + std::to_string(k) + " with too few values on the stack");
          std::vector<std::uint32_t> items(stack_.end() - static_cast<std::ptrdiff_t>(k), stack_.end());
          stack_.resize(stack_.size() - k);
          push(Kind::Tuple, std::move(items));
          break;
        }
        case ']': push(Kind::List); break;
        case 'l': { auto items = pop_mark(); push(Kind::List, std::move(items)); break; }
        case 'a': { const std::uint32_t v = pop(); add_items(Kind::List, {v}); break; }
        case 'e': add_items(Kind::List, pop_mark()); break;
        case '}': push(Kind::Dict); break;
        case 'd': {
          auto items = pop_mark();
          if (items.size() % 2) fail("DICT with an odd number of values");
          push(Kind::Dict, std::move(items));
          break;
        }
        case 's': { const std::uint32_t v = pop(), k = pop(); add_items(Kind::Dict, {k, v}); break; }
        case 'u': {
          auto items = pop_mark();
          if (items.size() % 2) fail("SETITEMS with an odd number of values");
          add_items(Kind::Dict, std::move(items));
          break;
        }
        case 'c': {  // GLOBAL: "module\nname\n"
          std::string module = line();
          std::string name = line();
          push_global(module + "." + name);
          break;
        }
        case 0x93: {  // STACK_GLOBAL
          const Value& name = arg(pop(), Kind::Str, "STACK_GLOBAL's name");
          const std::string n = name.s;
          const Value& module = arg(pop(), Kind::Str, "STACK_GLOBAL's module");
          push_global(module.s + "." + n);
          break;
        }
        case 'R': {  // REDUCE
          const std::uint32_t args = pop(), callable = pop();
          push_index(reduce(callable, args));
          break;
        }
        case 0x81: {  // NEWOBJ: cls, args
          const std::uint32_t args = pop(), cls = pop();
          arg(args, Kind::Tuple, "NEWOBJ's arguments");
          push_index(is_global(cls, "collections.OrderedDict") ? make(Kind::Dict) : make(Kind::Opaque));
          break;
        }
        case 0x92: {  // NEWOBJ_EX: cls, args, kwargs
          pop();
          pop();
          pop();
          push(Kind::Opaque);
          break;
        }
        case 'b': pop(); peek(); break;  // BUILD: the state of an object is not needed
        case 'Q': { const std::uint32_t pid = pop(); push_index(persistent(pid)); break; }
        case 'q': put(fixed(1)); break;
        case 'r': put(fixed(4)); break;
        case 0x94: put(memo_.size()); break;  // MEMOIZE
        case 'h': get(fixed(1)); break;
        case 'j': get(fixed(4)); break;
        default: fail("unsupported pickle opcode " + hex_byte(op));
      }
    }
  }

  const Value& value(std::uint32_t v) const { return values_[v]; }
  const StorageRef& storage(std::size_t s) const { return storages_[s]; }
  const TensorRef& tensor(std::size_t t) const { return tensors_[t]; }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(label_ + ": data.pkl byte " + std::to_string(op_at_) + ": " + what);
  }

  void need(std::uint64_t k) {
    if (n_ - at_ < k) fail("the pickle ends inside opcode " + hex_byte(p_[op_at_]));
  }
  void skip(std::uint64_t k) {
    need(k);
    at_ += k;
  }
  std::uint64_t fixed(int bytes) {
    need(static_cast<std::uint64_t>(bytes));
    const std::uint64_t v = le(p_ + at_, bytes);
    at_ += bytes;
    return v;
  }
  std::string line() {
    const std::size_t start = at_;
    while (at_ < n_ && p_[at_] != '\n') {
      if (at_ - start >= 256) fail("a GLOBAL name longer than 256 bytes");
      ++at_;
    }
    if (at_ >= n_) fail("the pickle ends inside a GLOBAL name");
    return std::string(reinterpret_cast<const char*>(p_ + start), at_++ - start);
  }

  std::uint32_t make(Kind kind, std::vector<std::uint32_t> items = {}) {
    if (values_.size() >= kMaxValues) fail("the pickle builds more than " + std::to_string(kMaxValues) + " values");
    Value v;
    v.kind = kind;
    v.items = std::move(items);
    values_.push_back(std::move(v));
    return static_cast<std::uint32_t>(values_.size() - 1);
  }
  void push_index(std::uint32_t v) {
    if (stack_.size() >= kMaxValues) fail("the stack grows past " + std::to_string(kMaxValues) + " values");
    stack_.push_back(v);
  }
  void push(Kind kind, std::vector<std::uint32_t> items = {}) { push_index(make(kind, std::move(items))); }
  void push_bool(bool b) {
    push(Kind::Bool);
    values_.back().i = b;
  }
  void push_int(std::int64_t i) {
    push(Kind::Int);
    values_.back().i = i;
  }
  void push_long(std::uint64_t bytes) {  // little-endian two's complement, at most 64 bits kept
    if (bytes > 8) fail("an integer wider than 64 bits");
    need(bytes);
    std::uint64_t v = 0;
    for (std::uint64_t k = 0; k < bytes; ++k) v |= static_cast<std::uint64_t>(p_[at_ + k]) << (8 * k);
    if (bytes > 0 && bytes < 8 && (p_[at_ + bytes - 1] & 0x80)) v |= ~0ull << (8 * bytes);  // sign-extend
    at_ += bytes;
    push_int(static_cast<std::int64_t>(v));
  }
  void push_text(Kind kind, std::uint64_t bytes) {
    need(bytes);
    push(kind);
    values_.back().s.assign(reinterpret_cast<const char*>(p_ + at_), static_cast<std::size_t>(bytes));
    at_ += bytes;
  }
  void push_global(std::string name) {
    push(Kind::Global);
    values_.back().s = std::move(name);
  }

  std::size_t region() const { return stack_.size() - (marks_.empty() ? 0 : marks_.back()); }
  std::uint32_t pop() {
    if (region() == 0) fail("pops from an empty stack");
    const std::uint32_t v = stack_.back();
    stack_.pop_back();
    return v;
  }
  std::uint32_t peek() {
    if (region() == 0) fail("uses the top of an empty stack");
    return stack_.back();
  }
  std::vector<std::uint32_t> pop_mark() {
    if (marks_.empty()) fail("no MARK to pop to");
    std::vector<std::uint32_t> items(stack_.begin() + static_cast<std::ptrdiff_t>(marks_.back()), stack_.end());
    stack_.resize(marks_.back());
    marks_.pop_back();
    return items;
  }
  // APPEND(S) and SETITEM(S): on a list or dict (or an object whose contents are not needed).
  void add_items(Kind kind, std::vector<std::uint32_t> items) {
    Value& target = values_[peek()];
    if (target.kind == Kind::Opaque) return;
    if (target.kind != kind)
      fail(std::string(kind == Kind::List ? "APPEND" : "SETITEM") + " on " + kind_name(target.kind));
    target.items.insert(target.items.end(), items.begin(), items.end());
  }

  void put(std::uint64_t index) {
    const std::uint32_t top = peek();
    memo_[index] = top;
  }
  void get(std::uint64_t index) {
    const auto it = memo_.find(index);
    if (it == memo_.end()) fail("memo entry " + std::to_string(index) + " was never set");
    push_index(it->second);
  }

  const Value& arg(std::uint32_t v, Kind kind, const std::string& what) const {
    if (values_[v].kind != kind) fail(what + " is " + kind_name(values_[v].kind) + ", not " + kind_name(kind));
    return values_[v];
  }
  bool is_global(std::uint32_t v, const char* name) const {
    return values_[v].kind == Kind::Global && values_[v].s == name;
  }

  std::vector<std::int64_t> int_tuple(std::uint32_t v, const std::string& what) const {
    const Value& t = arg(v, Kind::Tuple, what);
    if (t.items.size() > kMaxDims) fail(what + " has more than " + std::to_string(kMaxDims) + " dimensions");
    std::vector<std::int64_t> out;
    for (const std::uint32_t e : t.items) {
      const Value& x = arg(e, Kind::Int, what + "'s element");
      if (x.i < 0) fail(what + " has a negative element");
      out.push_back(x.i);
    }
    return out;
  }

  // The callables a state dict needs; anything else becomes an opaque object that is never read.
  std::uint32_t reduce(std::uint32_t callable, std::uint32_t args_index) {
    const Value& args = arg(args_index, Kind::Tuple, "REDUCE's arguments");
    const Value& f = values_[callable];
    if (f.kind != Kind::Global) return make(Kind::Opaque);
    const std::string& name = f.s;
    if (name == "collections.OrderedDict") return args.items.empty() ? make(Kind::Dict) : make(Kind::Opaque);
    if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor") {
      if (args.items.size() < 4) fail(name + " takes at least 4 arguments, got " + std::to_string(args.items.size()));
      const std::vector<std::uint32_t> a = args.items;
      const Value& storage = arg(a[0], Kind::Storage, "the tensor's storage");
      const Value& offset = arg(a[1], Kind::Int, "the tensor's storage offset");
      if (offset.i < 0) fail("a negative storage offset");
      TensorRef t{static_cast<std::size_t>(storage.i), offset.i, int_tuple(a[2], "the tensor's size"),
                  int_tuple(a[3], "the tensor's stride")};
      if (t.sizes.size() != t.strides.size())
        fail("a tensor of " + std::to_string(t.sizes.size()) + " sizes and " + std::to_string(t.strides.size()) + " strides");
      tensors_.push_back(std::move(t));
      const std::uint32_t out = make(Kind::Tensor);
      values_[out].i = static_cast<std::int64_t>(tensors_.size() - 1);
      return out;
    }
    if (name == "torch._utils._rebuild_parameter" || name == "torch._utils._rebuild_parameter_with_state" ||
        name == "torch.jit._pickle.restore_type_tag") {
      if (args.items.empty()) fail(name + " without arguments");
      return args.items[0];
    }
    if (name == "torch._tensor._rebuild_from_type_v2") {  // (rebuild function, type, its arguments, state)
      if (args.items.size() < 3) fail(name + " takes 4 arguments, got " + std::to_string(args.items.size()));
      const std::uint32_t inner = args.items[0], inner_args = args.items[2];
      if (values_[inner].kind == Kind::Global && values_[inner].s == name) fail(name + " calls itself");
      return reduce(inner, inner_args);
    }
    return make(Kind::Opaque);
  }

  // ('storage', storage type, key, location, numel): a storage of the archive.
  std::uint32_t persistent(std::uint32_t pid) {
    const Value& id = arg(pid, Kind::Tuple, "a persistent id");
    if (id.items.size() != 5) fail("a persistent id of " + std::to_string(id.items.size()) + " fields (expected 5)");
    if (arg(id.items[0], Kind::Str, "a persistent id's tag").s != "storage")
      fail("a persistent id that is not a storage");
    const std::string& type = arg(id.items[1], Kind::Global, "a storage's type").s;
    DType dtype;
    if (!storage_dtype(type, &dtype)) fail("unsupported storage type '" + type + "'");
    const std::string& key = arg(id.items[2], Kind::Str, "a storage's key").s;
    if (key.empty() || key.size() > 256 || key.find('/') != std::string::npos || key == "." || key == "..")
      fail("a storage key that is not a plain name");
    const std::int64_t numel = arg(id.items[4], Kind::Int, "a storage's size").i;
    if (numel < 0) fail("storage '" + key + "' has a negative size");
    std::int64_t bytes = 0;
    if (__builtin_mul_overflow(numel, static_cast<std::int64_t>(dtype_size(dtype)), &bytes))
      fail("storage '" + key + "' is too large");
    const auto [it, fresh] = storage_index_.emplace(key, storages_.size());
    if (fresh) {
      storages_.push_back({key, dtype, numel});
    } else if (storages_[it->second].dtype != dtype || storages_[it->second].numel != numel) {
      fail("storage '" + key + "' is read as two different types or sizes");
    }
    const std::uint32_t out = make(Kind::Storage);
    values_[out].i = static_cast<std::int64_t>(it->second);
    return out;
  }

  const std::uint8_t* p_;
  std::size_t n_;
  std::string label_;
  std::size_t at_ = 0, op_at_ = 0;
  std::vector<Value> values_;
  std::vector<std::uint32_t> stack_;
  std::vector<std::size_t> marks_;
  std::unordered_map<std::uint64_t, std::uint32_t> memo_;
  std::vector<StorageRef> storages_;
  std::map<std::string, std::size_t> storage_index_;
  std::vector<TensorRef> tensors_;
};

// The data.pkl of the archive: exactly one entry "<prefix>/data.pkl" with a one-level prefix.
std::string archive_prefix(const Zip& zip, const std::string& label) {
  std::string prefix;
  for (const auto& [name, entry] : zip.entries()) {
    const std::size_t slash = name.find('/');
    if (slash == std::string::npos || slash == 0 || name.compare(slash, std::string::npos, "/data.pkl") != 0) continue;
    if (!prefix.empty()) fail(label, "the archive holds two pickles ('" + prefix + "/data.pkl' and '" + name + "')");
    prefix = name.substr(0, slash);
  }
  if (prefix.empty()) fail(label, "the archive has no data.pkl (not a torch.save file)");
  return prefix;
}

}  // namespace

TorchArchive parse_torch_archive(std::uint64_t file_size, const ReadAt& read, const std::string& label) {
  const Zip zip(file_size, read, label);
  const std::string prefix = archive_prefix(zip, label);

  if (zip.entries().count(prefix + "/byteorder")) {
    const ArchiveSpan order = zip.span(prefix + "/byteorder");
    if (order.size > 16) fail(label, "entry '" + prefix + "/byteorder' is not 'little' or 'big'");
    std::string text(static_cast<std::size_t>(order.size), '\0');
    if (order.size) read(order.offset, text.size(), reinterpret_cast<std::uint8_t*>(text.data()));
    if (text != "little") fail(label, "the tensors are stored " + (text == "big" ? std::string("big-endian") : "in byte order '" + text + "'") + "; only little-endian archives are read");
  }

  const ArchiveSpan pkl = zip.span(prefix + "/data.pkl");
  if (pkl.size > kMaxPickleBytes) fail(label, "data.pkl is larger than 64 MiB");
  std::vector<std::uint8_t> program(static_cast<std::size_t>(pkl.size));
  if (!program.empty()) read(pkl.offset, program.size(), program.data());
  Machine m(program.data(), program.size(), label);
  const std::uint32_t root = m.run();
  if (m.value(root).kind != Kind::Dict)
    fail(label, std::string("the pickle holds ") + kind_name(m.value(root).kind) + ", not a dict of tensors");

  // Depth first through the nested dicts, in insertion order; a dict met twice (shared or a cycle)
  // is refused, so the walk is linear in the pickle's size.
  TorchArchive out;
  std::set<std::uint32_t> seen{root};
  std::set<std::string> names;
  std::set<std::size_t> used_storages;
  std::vector<std::tuple<std::uint32_t, std::string, std::size_t>> pending{{root, "", 0}};
  while (!pending.empty()) {
    auto [dict, prefix_name, depth] = std::move(pending.back());
    pending.pop_back();
    const std::vector<std::uint32_t>& items = m.value(dict).items;
    std::vector<std::tuple<std::uint32_t, std::string, std::size_t>> children;
    for (std::size_t k = 0; k + 1 < items.size(); k += 2) {
      const Value& key = m.value(items[k]);
      const Value& v = m.value(items[k + 1]);
      if (key.kind != Kind::Str) continue;
      if (v.kind != Kind::Tensor && v.kind != Kind::Dict) continue;
      if (prefix_name.size() + 1 + key.s.size() > kMaxNameBytes) fail(label, "a tensor name longer than 4096 bytes");
      std::string name = prefix_name.empty() ? key.s : prefix_name + "." + key.s;
      if (v.kind == Kind::Dict) {
        if (depth + 1 >= kMaxDictDepth) fail(label, "dicts nested deeper than " + std::to_string(kMaxDictDepth) + " levels (at '" + name + "')");
        if (!seen.insert(items[k + 1]).second) fail(label, "the dict at '" + name + "' appears twice (shared or a cycle)");
        children.emplace_back(items[k + 1], std::move(name), depth + 1);
        continue;
      }
      if (!names.insert(name).second) fail(label, "tensor '" + name + "' appears twice");
      const TensorRef& t = m.tensor(static_cast<std::size_t>(v.i));
      const StorageRef& s = m.storage(t.storage);
      TorchTensorRecord r;
      r.name = std::move(name);
      r.dtype = s.dtype;
      r.storage = s.key;
      r.storage_offset = t.offset;
      r.sizes = t.sizes;
      r.strides = t.strides;
      // Every element the view can address must lie inside the storage.
      bool empty = false;
      std::int64_t last = t.offset;
      for (std::size_t d = 0; d < t.sizes.size(); ++d) {
        if (t.sizes[d] == 0) empty = true;
        std::int64_t reach = 0;
        if (t.sizes[d] > 0 && (__builtin_mul_overflow(t.sizes[d] - 1, t.strides[d], &reach) || __builtin_add_overflow(last, reach, &last)))
          fail(label, "tensor '" + r.name + "' has sizes and strides that overflow");
      }
      std::int64_t numel = 1;
      for (const std::int64_t n : t.sizes) {
        if (__builtin_mul_overflow(numel, n, &numel)) fail(label, "tensor '" + r.name + "' has more elements than fit in 64 bits");
      }
      if (!empty && last >= s.numel)
        fail(label, "tensor '" + r.name + "' addresses " + std::to_string(last + 1) + " elements but its storage holds " + std::to_string(s.numel));
      used_storages.insert(t.storage);
      out.tensors.push_back(std::move(r));
    }
    pending.insert(pending.end(), std::make_move_iterator(children.rbegin()), std::make_move_iterator(children.rend()));
  }
  if (out.tensors.empty()) fail(label, "holds no tensors (expected a state dict)");

  for (const std::size_t index : used_storages) {
    const StorageRef& s = m.storage(index);
    const std::string entry = prefix + "/data/" + s.key;
    TorchStorageRecord rec;
    rec.dtype = s.dtype;
    rec.numel = s.numel;
    rec.bytes = zip.span(entry);
    const std::uint64_t want = static_cast<std::uint64_t>(s.numel) * dtype_size(s.dtype);
    if (rec.bytes.size != want)
      fail(label, "entry '" + entry + "' holds " + std::to_string(rec.bytes.size) + " bytes; its storage is " +
                      std::to_string(s.numel) + " elements of " + dtype_name(s.dtype) + " (" + std::to_string(want) + " bytes)");
    out.storages.emplace(s.key, rec);
  }
  return out;
}

TorchArchive parse_torch_archive(const std::uint8_t* data, std::size_t size, const std::string& label) {
  const ReadAt read = [&](std::uint64_t offset, std::size_t n, std::uint8_t* out) {
    if (offset > size || size - offset < n) throw Error(label + ": read past the end of the file");
    if (n) std::memcpy(out, data + offset, n);
  };
  return parse_torch_archive(size, read, label);
}

}  // namespace linvideo::io
