# Sourced by run.sh and test.sh with a requirements file: a virtual environment in
# .venv holding its packages, made, or brought up to date, when needed; its bin/
# then first on PATH. A system Python (PEP 668: Debian 12, Ubuntu 24.04) takes no
# packages of its own, hence the environment. Debian's python3 makes one only with
# its python3-venv package, installed here when missing. PYTHON chooses the
# interpreter (default python3).
requirements=$1
python=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
    if ! "$python" -c "import ensurepip, venv" 2>/dev/null; then
        sudo=""
        [[ $(id -u) -eq 0 ]] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3-venv
    fi
    rm -rf .venv
    "$python" -m venv .venv
fi
# Installed again only when a requirements file changed (pip reads the same index
# and configuration, /etc/pip.conf and PIP_*, in the environment as outside it).
stamp=.venv/installed-$(basename "$requirements" .txt)
wanted=$(cat requirements*.txt | sha256sum | cut -d" " -f1)
if [[ $(cat "$stamp" 2>/dev/null) != "$wanted" ]]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements"
    echo "$wanted" >"$stamp"
fi
export VIRTUAL_ENV=$PWD/.venv
export PATH=$VIRTUAL_ENV/bin:$PATH
