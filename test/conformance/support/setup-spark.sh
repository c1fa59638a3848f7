#!/usr/bin/env bash
# Installs, once, what the conformance suite needs to run real Apache Spark, into a cache that
# CI re-runs reuse: a pyspark wheel built from PyPI's source package (it bundles Spark's jars),
# a venv with pyspark, pandas and pyarrow (applyInPandasWithState needs both), and Spark's Kafka
# source with its dependencies fetched from Maven Central (pyspark does not bundle it). Java 17
# and Maven (and Debian's python3-venv) are installed with apt-get when missing, as the main
# suite installs what it needs, so `npm run test:spark` runs on a fresh machine by itself.
# Prints the venv's python and the Kafka jar folder as `KEY=value` lines; does nothing but print
# when everything is already there.
set -euo pipefail

PYSPARK_VERSION=4.2.0  # spark-sql-kafka-0-10_2.13 of the same version must be on Maven Central (4.3.0 is not)
PANDAS_VERSION=2.3.3
PYARROW_VERSION=22.0.0
MAVEN_DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1

cache=${SPATE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/spate}
wheels=$cache/wheels
home=$cache/spark-$PYSPARK_VERSION
venv=$home/venv
jars=$home/kafka-jars

log() { echo "setup-spark: $*" >&2; }

# Installs a Debian package (as the main suite's test/support/services.ts does), as root only.
apt_install() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup-spark: $2 is not installed: run \`sudo apt-get install -y $1\` and the suite again" >&2
    exit 1
  fi
  log "installing $1 (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "$1" >/dev/null 2>&1 \
    || { apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends "$1" >/dev/null; }
}
need() { command -v "$1" >/dev/null || apt_install "$2" "$1"; }

python=${PYTHON:-python3}
command -v "$python" >/dev/null || { echo "setup-spark: $python is not installed (Python 3.11 is needed)" >&2; exit 1; }
need java openjdk-17-jre-headless  # Spark 4 runs on Java 17
need mvn maven  # fetches Spark's Kafka source here, and the Kafka case's broker jars (test/support/kafka-broker.ts)

if [ ! -f "$venv/.ready" ]; then
  mkdir -p "$wheels"
  if ! ls "$wheels"/pyspark-"$PYSPARK_VERSION"-*.whl >/dev/null 2>&1; then
    log "building the pyspark $PYSPARK_VERSION wheel into $wheels (once; ~450 MB)"
    "$python" -m pip wheel --quiet --no-deps -w "$wheels" "pyspark==$PYSPARK_VERSION" >&2
  fi
  log "fetching pandas, pyarrow and py4j wheels into $wheels"
  "$python" -m pip wheel --quiet --find-links "$wheels" -w "$wheels" \
    "pyspark==$PYSPARK_VERSION" "pandas==$PANDAS_VERSION" "pyarrow==$PYARROW_VERSION" >&2
  rm -rf "$venv"
  # Debian's own Python keeps venv's pip bootstrap in a package of its own.
  "$python" -c 'import ensurepip' 2>/dev/null || apt_install "python3-venv" "Python's venv module"
  "$python" -m venv "$venv"
  log "installing into $venv"
  "$venv/bin/python" -m pip install --quiet --no-index --find-links "$wheels" \
    "pyspark==$PYSPARK_VERSION" "pandas==$PANDAS_VERSION" "pyarrow==$PYARROW_VERSION" >&2
  touch "$venv/.ready"
fi

if [ ! -f "$jars/.ready" ]; then
  log "fetching spark-sql-kafka-0-10_2.13 $PYSPARK_VERSION and its dependencies into $jars"
  pom=$(mktemp -d)/pom.xml
  cat > "$pom" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>spate</groupId><artifactId>spark-kafka-jars</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.spark</groupId><artifactId>spark-sql-kafka-0-10_2.13</artifactId>
      <version>$PYSPARK_VERSION</version>
    </dependency>
  </dependencies>
</project>
POM
  rm -rf "$jars"
  mvn -B -q -Dstyle.color=never -f "$pom" "$MAVEN_DEPENDENCY_PLUGIN:copy-dependencies" \
    -DincludeScope=runtime -DoutputDirectory="$jars" >&2
  rm -rf "$(dirname "$pom")"
  # Keep only what pyspark lacks: a second scala-library or hadoop client of another version on
  # the class path would clash with the ones Spark bundles.
  bundled=$("$venv/bin/python" -c 'import os, pyspark; print(os.path.join(os.path.dirname(pyspark.__file__), "jars"))')
  for jar in "$jars"/*.jar; do
    artifact=$(basename "$jar" | sed -E 's/-[0-9][^-]*(-[A-Za-z0-9.]+)?\.jar$//')
    if ls "$bundled/$artifact"-[0-9]*.jar >/dev/null 2>&1; then rm "$jar"; fi
  done
  touch "$jars/.ready"
fi

echo "SPARK_PYTHON=$venv/bin/python"
echo "SPARK_KAFKA_JARS=$jars"
