"""`kubectl batch completion bash|zsh|fish|powershell`: the shell's completion script for
the `kubectl-batch` command, as `kubectl completion SHELL` prints kubectl's.

Each script only asks ``kubectl-batch __complete ARGS... PARTIAL`` (commands/complete.py)
and shows its answer, as cobra's generated scripts do: the candidates come from one place,
the same one kubectl asks through ``kubectl_complete-batch`` for ``kubectl batch <TAB>``.
A library generating the scripts from argparse (argcomplete) would have been a second
source of truth, with its own completers, that kubectl could not use.
"""

from __future__ import annotations

import argparse
import sys

from kubectl_batch.commands.command import Command

BASH = r"""# bash completion for kubectl-batch
#   source <(kubectl-batch completion bash)
# or, for every session:
#   kubectl-batch completion bash > ~/.local/share/bash-completion/completions/kubectl-batch
_kubectl_batch() {
    local line="${COMP_LINE:0:COMP_POINT}" cur="" out directive pre c
    local -a words
    read -ra words <<< "$line"
    if [[ "$line" != *" " ]]; then
        cur="${words[${#words[@]}-1]}"
        unset 'words[${#words[@]}-1]'
    fi
    out=$("${words[0]}" __complete "${words[@]:1}" "$cur" 2>/dev/null) || return
    directive="${out##*:}"
    out="${out%:*}"
    COMPREPLY=()
    (( directive & 1 )) && return
    (( directive & 2 )) && compopt -o nospace 2>/dev/null
    # bash replaces only what follows the last = or : of the word (COMP_WORDBREAKS).
    pre="${cur%"${cur##*[=:]}"}"
    while IFS= read -r c; do
        [[ -n "$c" ]] && COMPREPLY+=("${c%%$'\t'*}") && COMPREPLY[-1]="${COMPREPLY[-1]#"$pre"}"
    done <<< "$out"
    if (( ${#COMPREPLY[@]} == 0 && ! (directive & 4) )); then
        compopt -o default 2>/dev/null
    fi
}
complete -F _kubectl_batch kubectl-batch
"""

ZSH = r"""#compdef kubectl-batch
# zsh completion for kubectl-batch
#   source <(kubectl-batch completion zsh)
# or put it as _kubectl-batch in a directory of $fpath.
_kubectl_batch() {
    local out directive line
    local -a lines comps
    out=$(${words[1]} __complete "${(@)words[2,CURRENT-1]}" "${words[CURRENT]}" 2>/dev/null) \
        || return 1
    lines=("${(@f)out}")
    directive=${lines[-1]#:}
    lines=("${(@)lines[1,-2]}")
    (( directive & 1 )) && return 1
    for line in $lines; do
        [[ -z $line ]] && continue
        if [[ $line == *$'\t'* ]]; then
            comps+=("${${line%%$'\t'*}//:/\\:}:${line#*$'\t'}")
        else
            comps+=("${line//:/\\:}")
        fi
    done
    if (( ${#comps} == 0 )); then
        (( directive & 4 )) || _files
        return
    fi
    if (( directive & 2 )); then
        _describe -t values 'values' comps -S ''
    else
        _describe -t values 'values' comps
    fi
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
    _kubectl_batch "$@"
else
    compdef _kubectl_batch kubectl-batch
fi
"""

FISH = r"""# fish completion for kubectl-batch
#   kubectl-batch completion fish | source
# or:  kubectl-batch completion fish > ~/.config/fish/completions/kubectl-batch.fish
function __kubectl_batch_complete
    set -l args (commandline -opc)
    set -l prog $args[1]
    set -e args[1]
    set -l out ($prog __complete $args (commandline -ct) 2>/dev/null)
    or return
    set -l directive (string replace -r '^:' '' -- $out[-1])
    set -e out[-1]
    if test (math "bitand($directive, 1)") -ne 0
        return
    end
    for line in $out
        echo $line
    end
    if test (count $out) -eq 0; and test (math "bitand($directive, 4)") -eq 0
        __fish_complete_path (commandline -ct)
    end
end
complete -c kubectl-batch -f -a '(__kubectl_batch_complete)'
"""

POWERSHELL = r"""# powershell completion for kubectl-batch
#   kubectl-batch completion powershell | Out-String | Invoke-Expression
Register-ArgumentCompleter -CommandName 'kubectl-batch' -Native -ScriptBlock {
    param($WordToComplete, $CommandAst, $CursorPosition)
    $line = $CommandAst.Extent.ToString()
    if ($line.Length -gt $CursorPosition) { $line = $line.Substring(0, $CursorPosition) }
    $elements = @($line -split '\s+' | Where-Object { $_ -ne '' })
    $program = $elements[0]
    $done = @($elements | Select-Object -Skip 1)
    if ($WordToComplete -ne '' -and $done.Count -gt 0) {
        $done = @($done | Select-Object -SkipLast 1)
    }
    $quoted = @($done | ForEach-Object { "'" + ($_ -replace "'", "''") + "'" }) -join ' '
    $request = "& '$program' __complete $quoted"
    # Windows PowerShell drops an empty argument to a native command: send "" (as cobra does;
    # __complete reads it as the empty word).
    if ($WordToComplete -eq '') { $request += ' '""'' }
    else { $request += " '" + ($WordToComplete -replace "'", "''") + "'" }
    $out = @(Invoke-Expression $request 2>$null)
    if ($out.Count -eq 0) { return }
    $directive = [int]($out[-1].TrimStart(':'))
    if ($directive -band 1) { return }
    $candidates = @($out | Select-Object -SkipLast 1 | Where-Object { $_ -ne '' })
    foreach ($candidate in $candidates) {
        $name, $description = $candidate -split "`t", 2
        if (-not $description) { $description = $name }
        [System.Management.Automation.CompletionResult]::new(
            $name, $name, 'ParameterValue', $description)
    }
}
"""

SCRIPTS = {"bash": BASH, "zsh": ZSH, "fish": FISH, "powershell": POWERSHELL}


class Completion(Command):
    name = "completion"
    summary = "print the completion script of kubectl-batch for bash, zsh, fish or powershell"
    usage = "bash|zsh|fish|powershell"
    description = (
        "Prints a script that completes kubectl-batch's commands, flags and their values,\n"
        "and, from the cluster, namespaces, contexts and Job and CronJob names. For\n"
        "`kubectl batch <TAB>` (kubectl 1.26+), put kubectl_complete-batch on your PATH\n"
        "instead: pip and pipx install it beside kubectl-batch (README: Completion)."
    )
    examples = (
        ("Completion in this bash session", "source <(kubectl batch completion bash)"),
        ("For every zsh session", "kubectl batch completion zsh > ~/.zfunc/_kubectl-batch"),
        ("Fish", "kubectl batch completion fish > ~/.config/fish/completions/kubectl-batch.fish"),
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("shell", choices=tuple(SCRIPTS), help="the shell")

    def run(self, args: argparse.Namespace) -> int:
        sys.stdout.write(SCRIPTS[args.shell])
        return 0


COMMAND = Completion()
