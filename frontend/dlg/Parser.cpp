// The .dlg parser: a hand-written lexer and recursive-descent parser over the
// grammar in ir/Printer.h. Every node is added through the Builder, so types
// are inferred as the file is read and declared types are checked on the spot.
#include "frontend/dlg/Parser.h"

#include "dlrt/LrSchedule.h"
#include "dlrt/Npy.h"
#include "ir/Builder.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "training/Initializers.h"

#include <cerrno>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

namespace dlc {

namespace {

enum class Tok { End, Name, String, Number, Punct, Hex };

struct Token {
  Tok kind = Tok::End;
  std::string text; // name or string contents, number text, punctuation char
  int line = 1, col = 1;
};

class Lexer {
public:
  explicit Lexer(const std::string &src) : s_(src) {}

  Expected<Token> next() {
    skipSpace();
    Token t;
    t.line = line_, t.col = col_;
    if (i_ >= s_.size())
      return t;
    char c = s_[i_];
    auto isNameStart = [](char ch) {
      return std::isalpha(static_cast<unsigned char>(ch)) || ch == '_';
    };
    if (isNameStart(c)) {
      t.kind = Tok::Name;
      while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) ||
                                s_[i_] == '_' || s_[i_] == '.'))
        t.text += advance();
      return t;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        ((c == '-' || c == '+') && i_ + 1 < s_.size() &&
         (std::isdigit(static_cast<unsigned char>(s_[i_ + 1])) || s_[i_ + 1] == '.' ||
          s_[i_ + 1] == 'i' || s_[i_ + 1] == 'n'))) {
      t.kind = Tok::Number;
      t.text += advance();
      while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) ||
                                s_[i_] == '.' ||
                                ((s_[i_] == '-' || s_[i_] == '+') &&
                                 (s_[i_ - 1] == 'e' || s_[i_ - 1] == 'E'))))
        t.text += advance();
      return t;
    }
    if (c == '"') {
      t.kind = Tok::String;
      advance();
      while (true) {
        if (i_ >= s_.size() || s_[i_] == '\n')
          return err(t, "unterminated string");
        char ch = advance();
        if (ch == '"')
          break;
        if (ch != '\\') {
          t.text += ch;
          continue;
        }
        if (i_ >= s_.size())
          return err(t, "unterminated string");
        char e = advance();
        if (e == 'x') {
          if (i_ + 2 > s_.size() || !std::isxdigit(static_cast<unsigned char>(s_[i_])) ||
              !std::isxdigit(static_cast<unsigned char>(s_[i_ + 1])))
            return err(t, "bad \\x escape in string");
          std::string hex{advance(), advance()};
          t.text += static_cast<char>(std::stoi(hex, nullptr, 16));
        } else if (e == '"' || e == '\\') {
          t.text += e;
        } else if (e == 'n') {
          t.text += '\n';
        } else {
          return err(t, std::string("unknown escape '\\") + e + "' in string");
        }
      }
      return t;
    }
    if (c == '<') { // hex blob, whitespace allowed inside
      t.kind = Tok::Hex;
      advance();
      while (true) {
        if (i_ >= s_.size())
          return err(t, "unterminated blob");
        char ch = advance();
        if (ch == '>')
          break;
        if (std::isxdigit(static_cast<unsigned char>(ch)))
          t.text += ch;
        else if (!std::isspace(static_cast<unsigned char>(ch)))
          return err(t, "bad character in blob");
      }
      return t;
    }
    if (std::string("{}()[],:=@").find(c) != std::string::npos) {
      t.kind = Tok::Punct;
      t.text = advance();
      return t;
    }
    return err(t, std::string("unexpected character '") +
                      (std::isprint(static_cast<unsigned char>(c)) ? std::string(1, c)
                                                                   : "\\x" + hexByte(c)) +
                      "'");
  }

  static std::string hexByte(char c) {
    const char *d = "0123456789abcdef";
    return {d[(c >> 4) & 15], d[c & 15]};
  }

  std::string file;

private:
  Error err(const Token &t, const std::string &m) const {
    return Error(file + ":" + std::to_string(t.line) + ":" + std::to_string(t.col) +
                 ": error: " + m);
  }
  char advance() {
    char c = s_[i_++];
    if (c == '\n')
      ++line_, col_ = 1;
    else
      ++col_;
    return c;
  }
  void skipSpace() {
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == '#') {
        while (i_ < s_.size() && s_[i_] != '\n')
          advance();
      } else if (std::isspace(static_cast<unsigned char>(c))) {
        advance();
      } else {
        break;
      }
    }
  }
  const std::string &s_;
  size_t i_ = 0;
  int line_ = 1, col_ = 1;
};

class Parser {
public:
  Parser(const std::string &text, const std::string &file, const std::string &baseDir)
      : lex_(text), file_(file), baseDir_(baseDir) {
    lex_.file = file;
  }

  Expected<std::unique_ptr<Graph>> parse() {
    g_ = std::make_unique<Graph>();
    g_->sourcePath = file_;
    DLC_CHECK(advance());
    DLC_CHECK(expectKeyword("graph"));
    DLC_TRY(name, parseName("graph name"));
    g_->name = name;
    DLC_CHECK(expectPunct("{"));
    while (!isPunct("}")) {
      if (tok_.kind == Tok::End)
        return err("expected '}' at the end of the graph");
      DLC_CHECK(parseStatement());
    }
    Token closeTok = tok_;
    DLC_CHECK(advance());
    if (isKeyword("blobs"))
      DLC_CHECK(parseBlobs());
    if (tok_.kind != Tok::End)
      return err("expected end of file");
    for (auto &[name, tokPos] : pendingBlobs_)
      return errAt(tokPos, "'" + name + "' refers to a blob that the blobs section lacks");
    if (g_->outputs().empty())
      return errAt(closeTok, "graph has no outputs");
    if (Status s = verifyGraph(*g_); !s)
      return s.error().withContext(file_);
    return std::move(g_);
  }

private:
  // --- tokens ---
  Status advance() {
    auto t = lex_.next();
    if (!t)
      return t.takeError();
    tok_ = *t;
    return Status::ok();
  }
  bool isPunct(const char *p) const { return tok_.kind == Tok::Punct && tok_.text == p; }
  bool isKeyword(const char *k) const { return tok_.kind == Tok::Name && tok_.text == k; }
  Error errAt(const Token &t, const std::string &m) const {
    return Error(file_ + ":" + std::to_string(t.line) + ":" + std::to_string(t.col) +
                 ": error: " + m);
  }
  Error err(const std::string &m) const { return errAt(tok_, m); }
  std::string describeTok() const {
    switch (tok_.kind) {
    case Tok::End: return "end of file";
    case Tok::String: return "string \"" + tok_.text + "\"";
    case Tok::Hex: return "blob";
    default: return "'" + tok_.text + "'";
    }
  }
  Status expectPunct(const char *p) {
    if (!isPunct(p))
      return err(std::string("expected '") + p + "', got " + describeTok());
    return advance();
  }
  Status expectKeyword(const char *k) {
    if (!isKeyword(k))
      return err(std::string("expected '") + k + "', got " + describeTok());
    return advance();
  }
  // Between list items: ',' or the list's closer.
  Status expectSeparator(const char *closer) {
    if (!isPunct(","))
      return err(std::string("expected ',' or '") + closer + "', got " + describeTok());
    return advance();
  }
  Expected<std::string> parseName(const char *what) {
    if (tok_.kind != Tok::Name && tok_.kind != Tok::String)
      return err(std::string("expected ") + what + ", got " + describeTok());
    std::string n = tok_.text;
    DLC_CHECK(advance());
    return n;
  }
  Expected<double> parseNumber(bool *isInt = nullptr) {
    std::string text = tok_.text;
    if (tok_.kind == Tok::Name && (text == "inf" || text == "nan" || text == "true" ||
                                   text == "false")) {
      DLC_CHECK(advance());
      if (isInt)
        *isInt = text == "true" || text == "false";
      return text == "inf" ? INFINITY : text == "nan" ? NAN : text == "true" ? 1.0 : 0.0;
    }
    if (tok_.kind != Tok::Number)
      return err("expected a number, got " + describeTok());
    char *end = nullptr;
    errno = 0;
    double v = std::strtod(text.c_str(), &end);
    if (!end || *end || errno == ERANGE)
      return err("malformed number '" + text + "'");
    if (isInt)
      *isInt = text.find_first_of(".eEin") == std::string::npos;
    DLC_CHECK(advance());
    return v;
  }
  bool atInteger() const {
    return tok_.kind == Tok::Number &&
           tok_.text.find_first_of(".eEin") == std::string::npos;
  }
  // Integers are read exactly (not through double): i64 data round-trips.
  Expected<int64_t> parseInt() {
    if (!atInteger())
      return err("expected an integer, got " + describeTok());
    char *end = nullptr;
    errno = 0;
    long long v = std::strtoll(tok_.text.c_str(), &end, 10);
    if (!end || *end || errno == ERANGE)
      return err("integer '" + tok_.text + "' is out of range");
    DLC_CHECK(advance());
    return static_cast<int64_t>(v);
  }

  // --- types and data ---
  Expected<TensorType> parseType() {
    Token at = tok_;
    DLC_TRY(dt, parseName("a dtype"));
    auto dtype = dlrt::parseDType(dt);
    if (!dtype)
      return errAt(at, "unknown dtype '" + dt + "' (expected f32, f64, f16, i64, i32, "
                       "i8, u8 or bool)");
    TensorType t;
    t.dtype = *dtype;
    DLC_CHECK(expectPunct("["));
    while (!isPunct("]")) {
      if (!t.dims.empty())
        DLC_CHECK(expectSeparator("]"));
      if (tok_.kind == Tok::Name) {
        t.dims.push_back(Dim(tok_.text));
        DLC_CHECK(advance());
      } else {
        Token dimTok = tok_;
        DLC_TRY(d, parseInt());
        if (d < 0 || d > (int64_t(1) << 40))
          return errAt(dimTok, "dims must be between 0 and 2^40");
        t.dims.push_back(Dim(d));
      }
    }
    DLC_CHECK(advance());
    if (t.isStatic()) {
      int64_t n = 1;
      for (const Dim &d : t.dims)
        if (d.value && (n *= d.value) > (int64_t(1) << 40))
          return errAt(at, "type " + t.str() + " is too large");
    }
    return t;
  }

  // `= ...` of a param or const: literal data, npy("f"), blob, or an
  // initializer spec (params only).
  Status parseData(Value &v, bool allowInit) {
    Token at = tok_;
    if (tok_.kind == Tok::Number || isPunct("[") ||
        (tok_.kind == Tok::Name && (tok_.text == "inf" || tok_.text == "nan" ||
                                    tok_.text == "true" || tok_.text == "false")))
      return parseLiteral(v);
    DLC_TRY(kind, parseName("values or an initializer"));
    if (kind == "blob") {
      if (!v.type.isStatic())
        return errAt(at, "'" + v.name + "' needs a static type to hold data");
      pendingBlobs_.emplace(v.name, at);
      return Status::ok();
    }
    if (kind == "elided")
      return errAt(at, "the values of '" + v.name +
                           "' were elided when this file was printed");
    if (kind == "npy") {
      DLC_CHECK(expectPunct("("));
      if (tok_.kind != Tok::String)
        return err("expected a quoted file name");
      std::string rel = tok_.text;
      DLC_CHECK(advance());
      DLC_CHECK(expectPunct(")"));
      std::string path = rel.size() && rel[0] == '/' ? rel
                         : baseDir_.empty()          ? rel
                                                     : baseDir_ + "/" + rel;
      auto t = dlrt::readNpy(path);
      if (!t)
        return errAt(at, t.error().message());
      if (!v.type.isStatic() || t->dtype() != v.type.dtype ||
          t->shape() != v.type.staticShape())
        return errAt(at, "'" + v.name + "' is declared " + v.type.str() + " but " +
                             rel + " holds " + std::string(dlrt::dtypeName(t->dtype())) +
                             dlrt::shapeString(t->shape()));
      v.data = *t;
      v.dataRef = rel;
      return Status::ok();
    }
    if (!allowInit)
      return errAt(at, "constants need literal values");
    v.init.kind = kind;
    if (isPunct("(")) {
      DLC_CHECK(advance());
      while (!isPunct(")")) {
        if (!v.init.args.empty())
          DLC_CHECK(expectSeparator(")"));
        DLC_TRY(key, parseName("an argument name"));
        DLC_CHECK(expectPunct("="));
        DLC_TRY(val, parseNumber());
        if (!v.init.args.emplace(key, val).second)
          return errAt(at, "argument '" + key + "' is repeated");
      }
      DLC_CHECK(advance());
    }
    if (Status s = checkInitSpec(v.init); !s)
      return errAt(at, s.error().message());
    return Status::ok();
  }

  Status parseLiteral(Value &v) {
    Token at = tok_;
    // Integer literals keep their exact value beside the double.
    std::vector<double> vals;
    std::vector<std::optional<int64_t>> ints;
    auto one = [&]() -> Status {
      if (atInteger()) {
        DLC_TRY(i, parseInt());
        ints.push_back(i);
        vals.push_back(static_cast<double>(i));
      } else {
        DLC_TRY(x, parseNumber());
        ints.push_back(std::nullopt);
        vals.push_back(x);
      }
      return Status::ok();
    };
    if (isPunct("[")) {
      DLC_CHECK(advance());
      while (!isPunct("]")) {
        if (!vals.empty())
          DLC_CHECK(expectSeparator("]"));
        DLC_CHECK(one());
        if (vals.size() > (1u << 24))
          return errAt(at, "literal is too long (use npy(...) or a blob)");
      }
      DLC_CHECK(advance());
    } else {
      DLC_CHECK(one());
    }
    if (!v.type.isStatic())
      return errAt(at, "'" + v.name + "' needs a static type to hold data");
    Tensor t(v.type.dtype, v.type.staticShape());
    if (static_cast<int64_t>(vals.size()) != t.numel())
      return errAt(at, "'" + v.name + "' is " + v.type.str() + " (" +
                           std::to_string(t.numel()) + " values) but " +
                           std::to_string(vals.size()) + " are given");
    for (size_t i = 0; i < vals.size(); ++i) {
      if (!dlrt::isFloat(t.dtype()) && vals[i] != std::trunc(vals[i]))
        return errAt(at, "'" + v.name + "' has integer dtype but value " +
                             formatFloat(vals[i]) + " is not an integer");
      if (t.dtype() == DType::I64 && ints[i])
        t.data<int64_t>()[i] = *ints[i];
      else
        t.setDouble(static_cast<int64_t>(i), vals[i]);
    }
    v.data = t;
    return Status::ok();
  }

  // --- attributes ---
  Expected<Attr> parseAttrValue(const AttrSpec &spec) {
    Token at = tok_;
    auto bad = [&]() {
      return errAt(at, std::string("attribute '") + spec.name + "' must be " +
                           attrKindName(spec.kind));
    };
    switch (spec.kind) {
    case AttrKind::Int: {
      if (!atInteger())
        return bad();
      DLC_TRY(v, parseInt());
      return Attr::ofInt(v);
    }
    case AttrKind::Float: {
      if (tok_.kind != Tok::Number && tok_.text != "inf" && tok_.text != "nan")
        return bad();
      DLC_TRY(v, parseNumber());
      return Attr::ofFloat(v);
    }
    case AttrKind::String: {
      if (tok_.kind != Tok::Name && tok_.kind != Tok::String)
        return bad();
      std::string s = tok_.text;
      DLC_CHECK(advance());
      return Attr::ofString(s);
    }
    default: break;
    }
    if (!isPunct("["))
      return bad();
    DLC_CHECK(advance());
    Attr a;
    a.present = true;
    a.kind = spec.kind;
    while (!isPunct("]")) {
      if (a.ints.size() + a.floats.size() + a.dims.size())
        DLC_CHECK(expectSeparator("]"));
      if (spec.kind == AttrKind::Ints) {
        if (!atInteger())
          return bad();
        DLC_TRY(v, parseInt());
        a.ints.push_back(v);
      } else if (spec.kind == AttrKind::Floats) {
        DLC_TRY(v, parseNumber());
        a.floats.push_back(v);
      } else if (tok_.kind == Tok::Name) {
        a.dims.push_back(Dim(tok_.text));
        DLC_CHECK(advance());
      } else {
        if (!atInteger())
          return bad();
        DLC_TRY(v, parseInt());
        a.dims.push_back(Dim(v));
      }
      if (a.ints.size() + a.floats.size() + a.dims.size() > 4096)
        return errAt(at, "attribute list is too long");
    }
    DLC_CHECK(advance());
    return a;
  }

  // --- statements ---
  Status defineCheck(const Token &at, const std::string &name) {
    if (g_->hasName(name))
      return errAt(at, "value '" + name + "' is defined more than once");
    return Status::ok();
  }

  Status parseStatement() {
    Token at = tok_;
    if (isKeyword("input") || isKeyword("param") || isKeyword("state") ||
        isKeyword("const")) {
      std::string kw = tok_.text;
      DLC_CHECK(advance());
      Token nameTok = tok_;
      DLC_TRY(name, parseName("a value name"));
      DLC_CHECK(defineCheck(nameTok, name));
      DLC_CHECK(expectPunct(":"));
      DLC_TRY(type, parseType());
      if (kw == "input") {
        g_->addInput(name, type);
        return Status::ok();
      }
      Value *v = kw == "param"   ? g_->addParam(name, type)
                 : kw == "state" ? g_->addState(name, type)
                                 : g_->addConst(name, Tensor(type.dtype, {}));
      if (kw == "const")
        v->data.reset(), v->type = type;
      if (kw == "param" && isKeyword("frozen")) {
        v->trainable = false;
        DLC_CHECK(advance());
      }
      DLC_CHECK(expectPunct("="));
      return parseData(*v, kw != "const");
    }
    if (isKeyword("train"))
      return parseTrain();
    if (isKeyword("update")) {
      DLC_CHECK(advance());
      Token targetTok = tok_;
      DLC_TRY(target, parseName("a param or state name"));
      DLC_CHECK(expectPunct("="));
      Token valTok = tok_;
      DLC_TRY(valueName, parseName("a value name"));
      Value *t = g_->lookup(target), *v = g_->lookup(valueName);
      if (!t || !t->isPersistent())
        return errAt(targetTok, "update target '" + target + "' is not a param or state");
      if (!v)
        return errAt(valTok, "use of undefined value '" + valueName + "'");
      if (v->type != t->type)
        return errAt(valTok, "update of '" + target + "' (" + t->type.str() +
                                 ") with '" + valueName + "' of type " + v->type.str());
      for (auto &u : g_->updates())
        if (u.first == t)
          return errAt(targetTok, "'" + target + "' is updated more than once");
      g_->addUpdate(t, v);
      return Status::ok();
    }
    if (isKeyword("output")) {
      DLC_CHECK(advance());
      DLC_TRY(name, parseName("an output name"));
      std::string valueName = name;
      Token valTok = tok_;
      if (isPunct("=")) {
        DLC_CHECK(advance());
        valTok = tok_;
        DLC_TRY(vn, parseName("a value name"));
        valueName = vn;
      }
      Value *v = g_->lookup(valueName);
      if (!v)
        return errAt(valTok, "output '" + name + "' refers to undefined value '" +
                                 valueName + "'");
      for (auto &o : g_->outputs())
        if (o.first == name)
          return errAt(at, "output '" + name + "' is declared more than once");
      g_->addOutput(name, v);
      return Status::ok();
    }
    return parseNode();
  }

  Status parseNode() {
    struct Out {
      std::string name;
      std::optional<TensorType> type;
      Token at;
    };
    std::vector<Out> outs;
    std::set<std::string> seen;
    while (true) {
      Out o;
      o.at = tok_;
      DLC_TRY(name, parseName("a statement (input, param, const, output or a node)"));
      o.name = name;
      DLC_CHECK(defineCheck(o.at, name));
      if (!seen.insert(name).second)
        return errAt(o.at, "value '" + name + "' is defined more than once");
      if (isPunct(":")) {
        DLC_CHECK(advance());
        DLC_TRY(t, parseType());
        o.type = t;
      }
      outs.push_back(o);
      if (!isPunct(","))
        break;
      DLC_CHECK(advance());
    }
    DLC_CHECK(expectPunct("="));
    Token opTok = tok_;
    DLC_TRY(opText, parseName("an op name"));
    auto op = parseOpName(opText);
    if (!op)
      return errAt(opTok, "unknown op '" + opText + "'");
    DLC_CHECK(expectPunct("("));
    std::vector<Value *> inputs;
    while (!isPunct(")")) {
      if (!inputs.empty())
        DLC_CHECK(expectSeparator(")"));
      Token inTok = tok_;
      DLC_TRY(in, parseName("an input name"));
      if (in == "_" && inTok.kind == Tok::Name) {
        inputs.push_back(nullptr);
        continue;
      }
      Value *v = g_->lookup(in);
      if (!v)
        return errAt(inTok, "use of undefined value '" + in + "'");
      inputs.push_back(v);
    }
    DLC_CHECK(advance());
    std::map<std::string, Attr> attrs;
    if (isPunct("{")) {
      DLC_CHECK(advance());
      while (!isPunct("}")) {
        if (!attrs.empty())
          DLC_CHECK(expectSeparator("}"));
        Token keyTok = tok_;
        DLC_TRY(key, parseName("an attribute name"));
        const AttrSpec *spec = findAttrSpec(*op, key);
        if (!spec)
          return errAt(keyTok, std::string(opName(*op)) + " has no attribute '" + key + "'");
        DLC_CHECK(expectPunct("="));
        DLC_TRY(a, parseAttrValue(*spec));
        if (!attrs.emplace(key, a).second)
          return errAt(keyTok, "attribute '" + key + "' is repeated");
      }
      DLC_CHECK(advance());
    }
    std::string nodeName = outs[0].name;
    Token nodeTok = outs[0].at;
    if (isPunct("@")) {
      DLC_CHECK(advance());
      nodeTok = tok_;
      DLC_TRY(nn, parseName("a node name"));
      nodeName = nn;
    }
    if (!nodeNames_.insert(nodeName).second)
      return errAt(nodeTok, "node name '" + nodeName + "' is used more than once");
    const OpInfo &info = opInfo(*op);
    auto arity = [&](const char *what, size_t n, int lo, int hi) -> Status {
      if (n < size_t(lo) || (hi >= 0 && n > size_t(hi)))
        return errAt(opTok, std::string(opName(*op)) + " takes " + std::to_string(lo) +
                                (hi == lo ? "" : hi < 0 ? " or more" : " to " + std::to_string(hi)) +
                                " " + what + ", got " + std::to_string(n));
      return Status::ok();
    };
    DLC_CHECK(arity("inputs", inputs.size(), info.minInputs, info.maxInputs));
    DLC_CHECK(arity("outputs", outs.size(), info.minOutputs, info.maxOutputs));
    std::vector<std::string> names;
    for (const Out &o : outs)
      names.push_back(o.name);
    Builder b(*g_);
    auto node = b.addMulti(*op, inputs, attrs, nodeName, names);
    if (!node)
      return errAt(opTok, node.error().message());
    for (size_t i = 0; i < outs.size(); ++i) {
      const TensorType &inferred = (*node)->outputs[i]->type;
      if (outs[i].type && *outs[i].type != inferred)
        return errAt(outs[i].at, "'" + outs[i].name + "' is declared " +
                                     outs[i].type->str() + " but inferred " +
                                     inferred.str());
    }
    return Status::ok();
  }

  // train { loss KIND(OUTPUT, LABEL) {weight=, reduction=, delta=}
  //         optimizer KIND {name=number, ...}  freeze a, "b.*"
  //         l1 X  l2 X  clip_norm X  lr_schedule cosine | "step:2:0.5" }
  // Syntax only (and the schedule, which has a grammar of its own): the
  // training pipeline checks names and values.
  Status parseTrain() {
    Token at = tok_;
    DLC_CHECK(advance());
    TrainSpec &t = g_->train;
    if (t.present)
      return errAt(at, "more than one train block");
    t.present = true;
    DLC_CHECK(expectPunct("{"));
    while (!isPunct("}")) {
      if (tok_.kind == Tok::End)
        return err("expected '}' at the end of the train block");
      Token keyTok = tok_;
      DLC_TRY(key, parseName("a train setting (loss, optimizer, freeze, l1, l2, "
                             "clip_norm or lr_schedule)"));
      if (key == "loss") {
        LossTerm l;
        DLC_TRY(kind, parseName("a loss kind"));
        l.kind = kind;
        DLC_CHECK(expectPunct("("));
        DLC_TRY(out, parseName("the output the loss reads"));
        DLC_CHECK(expectSeparator(")"));
        DLC_TRY(label, parseName("the label input"));
        DLC_CHECK(expectPunct(")"));
        l.output = out, l.label = label;
        if (isPunct("{")) {
          DLC_CHECK(advance());
          bool first = true;
          while (!isPunct("}")) {
            if (!first)
              DLC_CHECK(expectSeparator("}"));
            first = false;
            Token attrTok = tok_;
            DLC_TRY(name, parseName("weight, reduction or delta"));
            DLC_CHECK(expectPunct("="));
            if (name == "reduction") {
              DLC_TRY(r, parseName("mean or sum"));
              l.reduction = r;
            } else if (name == "weight" || name == "delta") {
              DLC_TRY(v, parseNumber());
              (name == "weight" ? l.weight : l.delta) = v;
            } else {
              return errAt(attrTok, "a loss has no setting '" + name +
                                        "' (expected weight, reduction or delta)");
            }
          }
          DLC_CHECK(advance());
        }
        t.losses.push_back(l);
      } else if (key == "optimizer") {
        DLC_TRY(kind, parseName("an optimizer"));
        t.optimizer.kind = kind;
        if (isPunct("{")) {
          DLC_CHECK(advance());
          while (!isPunct("}")) {
            if (!t.optimizer.args.empty())
              DLC_CHECK(expectSeparator("}"));
            Token argTok = tok_;
            DLC_TRY(name, parseName("a hyper-parameter name"));
            DLC_CHECK(expectPunct("="));
            DLC_TRY(v, parseNumber());
            if (!t.optimizer.args.emplace(name, v).second)
              return errAt(argTok, "hyper-parameter '" + name + "' is repeated");
          }
          DLC_CHECK(advance());
        }
      } else if (key == "freeze") {
        for (bool first = true; first || isPunct(","); first = false) {
          if (!first)
            DLC_CHECK(advance());
          DLC_TRY(name, parseName("a parameter name or glob"));
          t.freeze.push_back(name);
        }
      } else if (key == "l1" || key == "l2" || key == "clip_norm") {
        DLC_TRY(v, parseNumber());
        (key == "l1" ? t.l1 : key == "l2" ? t.l2 : t.clipNorm) = v;
      } else if (key == "lr_schedule") {
        Token specTok = tok_;
        DLC_TRY(spec, parseName("a learning-rate schedule"));
        if (auto sched = dlrt::LrSchedule::parse(spec); !sched)
          return errAt(specTok, sched.takeError().message());
        t.lrSchedule = spec;
      } else {
        return errAt(keyTok, "unknown train setting '" + key +
                                 "' (expected loss, optimizer, freeze, l1, l2, clip_norm or "
                                 "lr_schedule)");
      }
    }
    return advance();
  }

  Status parseBlobs() {
    DLC_CHECK(advance());
    DLC_CHECK(expectPunct("{"));
    while (!isPunct("}")) {
      Token at = tok_;
      DLC_TRY(name, parseName("a blob name"));
      DLC_CHECK(expectPunct("="));
      if (tok_.kind != Tok::Hex)
        return err("expected <hex bytes>");
      std::string hex = tok_.text;
      DLC_CHECK(advance());
      auto it = pendingBlobs_.find(name);
      if (it == pendingBlobs_.end())
        return errAt(at, "blob '" + name + "' matches no value declared `= blob`");
      Value *v = g_->lookup(name);
      Tensor t(v->type.dtype, v->type.staticShape());
      if (hex.size() != 2 * t.byteSize())
        return errAt(at, "blob '" + name + "' has " + std::to_string(hex.size() / 2) +
                             " bytes, " + v->type.str() + " needs " +
                             std::to_string(t.byteSize()));
      auto *p = static_cast<unsigned char *>(t.raw());
      for (size_t i = 0; i < t.byteSize(); ++i)
        p[i] = static_cast<unsigned char>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
      if (t.dtype() == DType::Bool)
        for (size_t i = 0; i < t.byteSize(); ++i)
          if (p[i] > 1)
            return errAt(at, "blob '" + name + "' has a bool byte other than 0 or 1");
      v->data = t;
      pendingBlobs_.erase(it);
    }
    return advance();
  }

  Lexer lex_;
  Token tok_;
  std::string file_, baseDir_;
  std::unique_ptr<Graph> g_;
  std::map<std::string, Token> pendingBlobs_;
  std::set<std::string> nodeNames_;
};

} // namespace

Expected<std::unique_ptr<Graph>> parseDlg(const std::string &text,
                                          const std::string &displayName,
                                          const std::string &baseDir) {
  return Parser(text, displayName, baseDir).parse();
}

Expected<std::unique_ptr<Graph>> parseDlgFile(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  if (!f)
    return Error(path + ": cannot open file");
  std::stringstream ss;
  ss << f.rdbuf();
  size_t slash = path.find_last_of('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  return parseDlg(ss.str(), path, dir);
}

} // namespace dlc
