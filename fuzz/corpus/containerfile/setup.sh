#!/bin/sh
set -e
yum install -y \
    epochpkg
if [ "$(arch)" = "x86_64" ]; then
    yum install -y x86only
fi
