// CSV data sets: comma-separated rows of numbers with one label column, an
// optional header and leading rows to skip (scikit-learn's files open with a
// "count,features,class names..." row). Errors name file:line:column.
#include "dlrt/Data.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace dlrt {

namespace {

struct Field {
  std::string text;
  int64_t column; // 1-based character column where the field starts
};

// Splits one line; double quotes group commas and "" is a literal quote.
std::vector<Field> splitLine(const std::string &line) {
  std::vector<Field> fields;
  size_t i = 0;
  for (;;) {
    Field f{"", static_cast<int64_t>(i) + 1};
    bool quoted = false;
    while (i < line.size() && (quoted || line[i] != ',')) {
      char c = line[i++];
      if (c == '"') {
        if (quoted && i < line.size() && line[i] == '"')
          f.text += line[i++];
        else
          quoted = !quoted;
      } else {
        f.text += c;
      }
    }
    size_t a = f.text.find_first_not_of(" \t"), b = f.text.find_last_not_of(" \t");
    f.text = a == std::string::npos ? "" : f.text.substr(a, b - a + 1);
    fields.push_back(f);
    if (i >= line.size())
      break;
    ++i; // the comma
  }
  return fields;
}

std::optional<double> parseNumber(const std::string &s) {
  if (s.empty())
    return std::nullopt;
  char *end = nullptr;
  errno = 0;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || errno == ERANGE)
    return std::nullopt;
  return v;
}

} // namespace

Expected<Dataset> readCsv(const std::string &path, const CsvOptions &opts) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Error(path + ": cannot open file: " + std::strerror(errno));
  struct Row {
    int64_t line;
    std::vector<Field> fields;
  };
  std::vector<Row> rows;
  std::string line;
  int64_t lineNo = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (lineNo <= opts.skipRows)
      continue;
    if (line.find_first_not_of(" \t") == std::string::npos)
      continue; // blank lines, e.g. a trailing one
    if (line.find('\0') != std::string::npos)
      return Error(path + ":" + std::to_string(lineNo) + ": binary data in a CSV file");
    rows.push_back({lineNo, splitLine(line)});
  }
  if (rows.empty())
    return Error(path + ": no data rows");
  size_t width = rows[0].fields.size();
  if (width < 2)
    return Error(path + ":" + std::to_string(rows[0].line) +
                 ": a row needs at least one feature and a label (1 field)");
  int64_t lc = opts.labelColumn < 0 ? static_cast<int64_t>(width) + opts.labelColumn
                                    : opts.labelColumn;
  if (lc < 0 || lc >= static_cast<int64_t>(width))
    return Error(path + ": label column " + std::to_string(opts.labelColumn) +
                 " is out of range for " + std::to_string(width) + " columns");
  size_t label = static_cast<size_t>(lc);

  bool header = opts.header == CsvOptions::Yes;
  if (opts.header == CsvOptions::Auto)
    for (size_t c = 0; c < rows[0].fields.size(); ++c)
      if (c != label && !parseNumber(rows[0].fields[c].text))
        header = true;
  size_t first = header ? 1 : 0;
  if (rows.size() <= first)
    return Error(path + ": no data rows after the header");
  width = rows[first].fields.size();
  if (header && rows[0].fields.size() != width)
    return Error(path + ":" + std::to_string(rows[first].line) + ": " + std::to_string(width) +
                 " fields, expected " + std::to_string(rows[0].fields.size()) +
                 " (as in the header, line " + std::to_string(rows[0].line) + ")");

  int64_t n = static_cast<int64_t>(rows.size() - first);
  int64_t features = static_cast<int64_t>(width) - 1;
  Dataset d;
  d.source = d.labelSource = path;
  d.x = Tensor(DType::F32, {n, features});
  float *x = d.x.data<float>();
  std::vector<std::string> labelText(n);
  for (int64_t r = 0; r < n; ++r) {
    const Row &row = rows[first + r];
    if (row.fields.size() != width)
      return Error(path + ":" + std::to_string(row.line) + ":" +
                   std::to_string(row.fields.back().column) + ": " +
                   std::to_string(row.fields.size()) + " fields, expected " +
                   std::to_string(width) + " (as in line " + std::to_string(rows[first].line) +
                   ")");
    int64_t k = 0;
    for (size_t c = 0; c < width; ++c) {
      const Field &f = row.fields[c];
      if (c == label) {
        labelText[r] = f.text;
        continue;
      }
      auto v = parseNumber(f.text);
      if (!v)
        return Error(path + ":" + std::to_string(row.line) + ":" + std::to_string(f.column) +
                     ": " + (f.text.empty() ? std::string("empty field") : "'" + f.text + "'") +
                     " is not a number (column " + std::to_string(c) + ")");
      x[r * features + k++] = static_cast<float>(*v);
    }
  }

  bool numeric = std::all_of(labelText.begin(), labelText.end(),
                             [](const std::string &s) { return parseNumber(s).has_value(); });
  bool classify = opts.task == CsvOptions::Classify ||
                  (opts.task == CsvOptions::AutoTask && !numeric);
  if (!classify) {
    d.task = Task::Regression;
    d.y = Tensor(DType::F32, {n, 1});
    for (int64_t r = 0; r < n; ++r) {
      auto v = parseNumber(labelText[r]);
      if (!v) {
        const Row &row = rows[first + r];
        return Error(path + ":" + std::to_string(row.line) + ":" +
                     std::to_string(row.fields[label].column) + ": label '" + labelText[r] +
                     "' is not a number (regression)");
      }
      d.y.data<float>()[r] = static_cast<float>(*v);
    }
    return d;
  }
  d.task = Task::Classification;
  d.y = Tensor(DType::I64, {n});
  if (numeric) {
    // Numeric classes must be the indices themselves.
    for (int64_t r = 0; r < n; ++r) {
      double v = *parseNumber(labelText[r]);
      if (v < 0 || v != std::floor(v)) {
        const Row &row = rows[first + r];
        return Error(path + ":" + std::to_string(row.line) + ":" +
                     std::to_string(row.fields[label].column) + ": label '" + labelText[r] +
                     "' is not a class index (a non-negative integer)");
      }
      d.y.data<int64_t>()[r] = static_cast<int64_t>(v);
    }
    return d;
  }
  std::set<std::string> names(labelText.begin(), labelText.end());
  d.classNames.assign(names.begin(), names.end());
  std::map<std::string, int64_t> index;
  for (size_t i = 0; i < d.classNames.size(); ++i)
    index[d.classNames[i]] = static_cast<int64_t>(i);
  for (int64_t r = 0; r < n; ++r)
    d.y.data<int64_t>()[r] = index[labelText[r]];
  return d;
}

} // namespace dlrt
