# SPDX-License-Identifier: GPL-2.0
# Sourced by every bench script once it has set HERE (its own directory):
# TOP, the tree; IP, the ip under test (absolute); STOCK, Debian's ip.
TOP=$(cd "$HERE/../.." && pwd)
IP=${IP:-$TOP/build/iproute2-6.1.0/ip/ip}
case $IP in /*) ;; *) IP=$PWD/$IP ;; esac
STOCK=${STOCK_IP:-/usr/sbin/ip}
