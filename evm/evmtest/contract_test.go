package evmtest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/version"
	"github.com/stretchr/testify/require"

	"github.com/zkeval/zkeval/attestation"
	"github.com/zkeval/zkeval/evm"
	"github.com/zkeval/zkeval/keys"
	"github.com/zkeval/zkeval/verifier"
)

// EVMVersion is the EVM version the contract is compiled for (solc's
// evmVersion): Prague, which Ethereum mainnet has run since May 2025 and
// which most rollups support. The simulated chain runs Osaka, mainnet's
// rules since December 2025.
const EVMVersion = "prague"

// MaxCodeSize is EIP-170's limit on a contract's runtime bytecode.
const MaxCodeSize = 24576

// requireSolc returns the path of compile.js when node and the pinned solc
// package are installed; otherwise it skips the test, or fails it under CI.
func requireSolc(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	require.NoError(t, err)
	missing := ""
	if _, err := exec.LookPath("node"); err != nil {
		missing = "node is not on PATH"
	} else if _, err := os.Stat(filepath.Join(dir, "node_modules", "solc", "package.json")); err != nil {
		missing = "the npm package solc is not installed in " + dir
	}
	if missing != "" {
		msg := missing + "; run `npm ci` in evm/evmtest (.ci/run does) to compile and test the Solidity verifier"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip("SKIP: " + msg)
	}
	return filepath.Join(dir, "compile.js")
}

// compiled is the verifier contract as solc compiled it.
type compiled struct {
	abi      abi.ABI
	initcode []byte // creation bytecode
	runtime  []byte // deployed bytecode, as solc reports it
	solc     string // compiler version
	source   []byte
	layout   evm.Layout
}

// compileVerifier exports the contract of the verifying key vkData and
// compiles it with compile.js.
func compileVerifier(t *testing.T, compileJS string, vkData []byte) *compiled {
	t.Helper()
	vk, err := keys.ParseVerifyingKey(vkData, "verifying.key")
	require.NoError(t, err)
	var src bytes.Buffer
	l, err := evm.Export(&src, vk, keys.Digest(vkData))
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "Verifier.sol")
	require.NoError(t, os.WriteFile(file, src.Bytes(), 0o644))
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("node", compileJS, file, EVMVersion)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var out struct {
		Contracts map[string]map[string]struct {
			ABI json.RawMessage `json:"abi"`
			EVM struct {
				Bytecode         struct{ Object string } `json:"bytecode"`
				DeployedBytecode struct{ Object string } `json:"deployedBytecode"`
			} `json:"evm"`
		} `json:"contracts"`
		Errors []struct {
			Severity         string `json:"severity"`
			FormattedMessage string `json:"formattedMessage"`
		} `json:"errors"`
		CompilerVersion string `json:"compilerVersion"`
	}
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &out), "solc output (%v): %s", runErr, stderr.String())
	for _, e := range out.Errors {
		if e.Severity == "error" {
			t.Errorf("solc: %s", e.FormattedMessage)
		} else {
			t.Logf("solc %s: %s", e.Severity, e.FormattedMessage)
		}
	}
	require.NoError(t, runErr, stderr.String())
	ct, ok := out.Contracts["Verifier.sol"]["Verifier"]
	require.True(t, ok, "solc output has no contract Verifier")
	c := &compiled{solc: out.CompilerVersion, source: src.Bytes(), layout: l}
	c.abi, err = abi.JSON(bytes.NewReader(ct.ABI))
	require.NoError(t, err)
	c.initcode, err = hex.DecodeString(ct.EVM.Bytecode.Object)
	require.NoError(t, err)
	c.runtime, err = hex.DecodeString(ct.EVM.DeployedBytecode.Object)
	require.NoError(t, err)
	// The ABI's verifyProof is the function evm encodes calls of.
	m, ok := c.abi.Methods["verifyProof"]
	require.True(t, ok)
	require.Equal(t, l.Signature(), m.Sig)
	sel := evm.Selector(l.Signature())
	require.Equal(t, sel[:], m.ID)
	return c
}

// chain is a simulated Ethereum chain with one funded account.
type chain struct {
	sim    *simulated.Backend
	client simulated.Client
	key    *ecdsa.PrivateKey
	from   common.Address
	config *params.ChainConfig
}

// osaka is the dev chain's configuration without the forks after Osaka, so
// that gas is what Ethereum mainnet charges today.
func osaka() *params.ChainConfig {
	c := *params.AllDevChainProtocolChanges
	c.AmsterdamTime, c.BogotaTime, c.UBTTime = nil, nil, nil
	return &c
}

func newChain(t *testing.T) *chain {
	t.Helper()
	key, err := crypto.GenerateKey()
	require.NoError(t, err)
	c := &chain{key: key, from: crypto.PubkeyToAddress(key.PublicKey), config: osaka()}
	balance := new(big.Int).Exp(big.NewInt(10), big.NewInt(22), nil)
	c.sim = simulated.NewBackend(types.GenesisAlloc{c.from: {Balance: balance}},
		func(_ *node.Config, ec *ethconfig.Config) { ec.Genesis.Config = c.config })
	t.Cleanup(func() { c.sim.Close() })
	c.client = c.sim.Client()
	return c
}

// send mines a transaction to `to` (nil: a contract creation) with data and
// returns its receipt.
func (c *chain) send(t *testing.T, to *common.Address, data []byte) *types.Receipt {
	t.Helper()
	ctx := context.Background()
	nonce, err := c.client.PendingNonceAt(ctx, c.from)
	require.NoError(t, err)
	head, err := c.client.HeaderByNumber(ctx, nil)
	require.NoError(t, err)
	tip := big.NewInt(params.GWei)
	fee := new(big.Int).Add(new(big.Int).Mul(head.BaseFee, big.NewInt(2)), tip)
	tx, err := types.SignNewTx(c.key, types.LatestSignerForChainID(c.config.ChainID), &types.DynamicFeeTx{
		ChainID: c.config.ChainID, Nonce: nonce, GasTipCap: tip, GasFeeCap: fee, Gas: 10_000_000, To: to, Data: data,
	})
	require.NoError(t, err)
	require.NoError(t, c.client.SendTransaction(ctx, tx))
	c.sim.Commit()
	r, err := c.client.TransactionReceipt(ctx, tx.Hash())
	require.NoError(t, err)
	return r
}

// call runs verifyProof's calldata as eth_call and returns the name of the
// contract error it reverted with ("" when it did not revert).
func (c *chain) call(t *testing.T, ct *compiled, to common.Address, data []byte) string {
	t.Helper()
	_, err := c.client.CallContract(context.Background(), ethereum.CallMsg{From: c.from, To: &to, Data: data}, nil)
	if err == nil {
		return ""
	}
	rev, ok := ethclient.RevertErrorData(err)
	require.True(t, ok, "the call failed without reverting: %v", err)
	for name, e := range ct.abi.Errors {
		if len(rev) >= 4 && bytes.Equal(rev[:4], e.ID[:4]) {
			return name
		}
	}
	return fmt.Sprintf("revert 0x%x", rev)
}

// intrinsic is the gas a transaction with data costs before it runs:
// 21,000 and the calldata (4 per zero byte, 16 per other byte, EIP-2028).
// It also returns EIP-7623's calldata floor, which a transaction pays
// instead when it uses less gas in all.
func (c *chain) intrinsic(t *testing.T, to common.Address, data []byte) (uint64, uint64) {
	rules := c.config.Rules(big.NewInt(1), true, 1)
	g, err := core.IntrinsicGas(data, nil, nil, c.from, &to, nil, rules)
	require.NoError(t, err)
	floor, err := core.FloorDataGas(rules, c.from, &to, nil, data, nil)
	require.NoError(t, err)
	return g, floor
}

// deployed is a verifier contract on the chain.
type deployed struct {
	*compiled
	addr       common.Address
	deployGas  uint64
	onChainLen int
}

func (c *chain) deploy(t *testing.T, ct *compiled) *deployed {
	t.Helper()
	r := c.send(t, nil, ct.initcode)
	require.Equal(t, types.ReceiptStatusSuccessful, r.Status, "deploy")
	code, err := c.client.CodeAt(context.Background(), r.ContractAddress, nil)
	require.NoError(t, err)
	require.Equal(t, ct.runtime, code, "the deployed code is solc's runtime bytecode (the contract has no immutables)")
	require.Less(t, len(code), MaxCodeSize, "EIP-170 limits runtime bytecode to %d bytes", MaxCodeSize)
	return &deployed{compiled: ct, addr: r.ContractAddress, deployGas: r.GasUsed, onChainLen: len(code)}
}

// verified checks st with zkeval's Go verifier, as export calldata does,
// and returns its contract call.
func verified(t *testing.T, st *attestation.Statement, vk []byte) *evm.Call {
	t.Helper()
	_, err := verifier.Verify(st, vk, "verifying.key", verifier.Options{})
	require.NoError(t, err)
	call, err := evm.CallOf(st)
	require.NoError(t, err)
	return call
}

func calldata(t *testing.T, c *evm.Call) []byte {
	t.Helper()
	data, err := c.Calldata()
	require.NoError(t, err)
	return data
}

// packed is the same call encoded by go-ethereum's ABI package from the
// contract's ABI, which evm's own encoding must equal.
func packed(t *testing.T, ct *compiled, c *evm.Call) []byte {
	t.Helper()
	arr := reflect.New(reflect.ArrayOf(len(c.Inputs), reflect.TypeFor[*big.Int]())).Elem()
	for i, v := range c.Inputs {
		arr.Index(i).Set(reflect.ValueOf(v))
	}
	data, err := ct.abi.Pack("verifyProof", c.Proof, arr.Interface())
	require.NoError(t, err)
	return data
}

// measurement is one row of the gas table.
type measurement struct {
	what          string
	inputs        int
	calldataBytes int
	gas           uint64 // the verifyProof transaction's gas used
	intrinsic     uint64
	runtime       int // runtime bytecode bytes
	initcode      int
	deployGas     uint64
}

// measure sends a valid call as a transaction and returns its gas.
func (c *chain) measure(t *testing.T, d *deployed, what string, call *evm.Call) measurement {
	t.Helper()
	data := calldata(t, call)
	r := c.send(t, &d.addr, data)
	require.Equal(t, types.ReceiptStatusSuccessful, r.Status, "verifyProof transaction of a valid proof")
	intrinsic, floor := c.intrinsic(t, d.addr, data)
	require.Greater(t, r.GasUsed, floor, "the calldata floor does not bind")
	m := measurement{what: what, inputs: len(call.Inputs), calldataBytes: len(data), gas: r.GasUsed, intrinsic: intrinsic,
		runtime: d.onChainLen, initcode: len(d.initcode), deployGas: d.deployGas}
	t.Logf("%s: %d public inputs, %d calldata bytes, verifyProof transaction %d gas (intrinsic %d, execution %d); runtime bytecode %d bytes, initcode %d bytes, deployment %d gas",
		what, m.inputs, m.calldataBytes, m.gas, m.intrinsic, m.gas-m.intrinsic, m.runtime, m.initcode, m.deployGas)
	return m
}

func TestVerifierContract(t *testing.T) {
	compileJS := requireSolc(t)
	fx := makeFixture(t)
	ch := newChain(t)
	ct := compileVerifier(t, compileJS, fx.vk)
	d := ch.deploy(t, ct)

	callA := verified(t, fx.a, fx.vk)
	dataA := calldata(t, callA)
	require.Equal(t, packed(t, ct, callA), dataA, "evm's ABI encoding equals go-ethereum's")
	names, err := evm.InputNames(fx.a.Predicate.Circuit.Public)
	require.NoError(t, err)
	index := func(name string) int {
		for i, n := range names {
			if n == name {
				return i
			}
		}
		t.Fatalf("no public input named %q in %q", name, names)
		return -1
	}

	var rows []measurement
	t.Run("real attestation accepted", func(t *testing.T) {
		require.Equal(t, "", ch.call(t, ct, d.addr, dataA))
		rows = append(rows, ch.measure(t, d, "test fixture (6-5-4-3 MLP, 9 samples): `accuracy >= 1/2`, one revealed claim as in the MNIST attestations", callA))
		callB := verified(t, fx.b, fx.vk)
		require.Equal(t, "", ch.call(t, ct, d.addr, calldata(t, callB)))
	})

	// Each case must revert; wantErr is the contract error it reverts with.
	reject := func(t *testing.T, c *evm.Call, wantErr ...string) {
		t.Helper()
		got := ch.call(t, ct, d.addr, calldata(t, c))
		require.NotEqual(t, "", got, "the contract accepted it")
		t.Logf("reverted: %s", got)
		if len(wantErr) > 0 {
			require.Contains(t, wantErr, got)
		}
		// As a transaction too: mined, reverted.
		r := ch.send(t, &d.addr, calldata(t, c))
		require.Equal(t, types.ReceiptStatusFailed, r.Status)
	}
	withProof := func(p []byte) *evm.Call {
		return &evm.Call{Proof: p, Inputs: callA.Inputs}
	}
	withInputs := func(in []*big.Int) *evm.Call {
		return &evm.Call{Proof: callA.Proof, Inputs: in}
	}

	t.Run("flipped proof byte", func(t *testing.T) {
		// The low bit of one coordinate of A, B, C, the commitment D and
		// its proof of knowledge; then a high bit (a coordinate past p).
		for _, off := range []int{31, 63, 64 + 31, 128 + 95, 256 + 31, 320 + 63, 320 + 1} {
			t.Run(fmt.Sprint(off), func(t *testing.T) {
				p := bytes.Clone(callA.Proof)
				p[off] ^= 1
				if off == 320+1 {
					p[off] ^= 1
					p[off-1] ^= 0x80
				}
				reject(t, withProof(p), "ProofInvalid", "CommitmentInvalid")
			})
		}
	})
	t.Run("changed threshold", func(t *testing.T) {
		p := index("claims[0] accuracy >= T: threshold numerator p")
		q := index("claims[0] accuracy >= T: threshold denominator q")
		require.Zero(t, callA.Inputs[p].Cmp(big.NewInt(1)))
		require.Zero(t, callA.Inputs[q].Cmp(big.NewInt(2)))
		for _, th := range [][2]int64{{2, 3}, {1, 3}, {0, 1}, {2, 4}, {1, 1}} {
			t.Run(fmt.Sprintf("%d/%d", th[0], th[1]), func(t *testing.T) {
				in := slicesClone(callA.Inputs)
				in[p], in[q] = big.NewInt(th[0]), big.NewInt(th[1])
				reject(t, withInputs(in), "ProofInvalid", "CommitmentInvalid")
			})
		}
	})
	t.Run("changed revealed count", func(t *testing.T) {
		i := index("claims[0] accuracy >= T: correct")
		in := slicesClone(callA.Inputs)
		in[i] = new(big.Int).Add(in[i], big.NewInt(1))
		reject(t, withInputs(in), "ProofInvalid", "CommitmentInvalid")
	})
	t.Run("another attestation's public inputs", func(t *testing.T) {
		callB := verified(t, fx.b, fx.vk)
		require.NotEqual(t, callA.Inputs, callB.Inputs)
		reject(t, withInputs(callB.Inputs), "ProofInvalid", "CommitmentInvalid")
		// and B's proof with A's inputs
		reject(t, &evm.Call{Proof: callB.Proof, Inputs: callA.Inputs}, "ProofInvalid", "CommitmentInvalid")
	})
	t.Run("proof made for the Go verifier", func(t *testing.T) {
		// Same statement and inputs, gnark's default hash to field: the
		// contract's Keccak-256 challenge differs, so the proof fails.
		_, err := verifier.Verify(fx.goTarget, fx.vk, "verifying.key", verifier.Options{})
		require.NoError(t, err)
		_, err = evm.CallOf(fx.goTarget)
		require.ErrorIs(t, err, evm.ErrNotSolidity)
		proof, err := keys.ParseProof(fx.goTarget.Predicate.Proof.Bytes)
		require.NoError(t, err)
		sp, err := evm.SolidityProof(proof)
		require.NoError(t, err)
		reject(t, withProof(sp), "ProofInvalid", "CommitmentInvalid")
	})
	t.Run("input not in the field", func(t *testing.T) {
		in := slicesClone(callA.Inputs)
		in[0] = new(big.Int).Add(in[0], frModulus())
		data := bytes.Clone(dataA)
		in[0].FillBytes(data[4+32 : 4+64]) // evm refuses to encode it
		_, err := ch.client.CallContract(context.Background(), ethereum.CallMsg{From: ch.from, To: &d.addr, Data: data}, nil)
		rev, ok := ethclient.RevertErrorData(err)
		require.True(t, ok, "%v", err)
		want := ct.abi.Errors["PublicInputNotInField"].ID
		require.Equal(t, want[:4], rev[:4])
	})
	t.Run("wrong proof length", func(t *testing.T) {
		reject(t, withProof(callA.Proof[:256]))
	})

	// Gas against the number of public inputs: a circuit of three revealed
	// claims, with its own keys and contract.
	t.Run("three claims", func(t *testing.T) {
		ct3 := compileVerifier(t, compileJS, fx.vk3)
		d3 := ch.deploy(t, ct3)
		call := verified(t, fx.c3, fx.vk3)
		require.Equal(t, "", ch.call(t, ct3, d3.addr, calldata(t, call)))
		rows = append(rows, ch.measure(t, d3, "test fixture: three revealed claims (`accuracy`, `recall[class=a]`, `precision[class=b]`)", call))
		// The other circuit's contract refuses it (another key, another input count).
		require.NotEqual(t, "", ch.call(t, ct, d.addr, calldata(t, call)))
	})

	if att, vk := os.Getenv("ZKEVAL_EVM_ATTESTATION"), os.Getenv("ZKEVAL_EVM_VK"); att != "" && vk != "" {
		t.Run("given attestation", func(t *testing.T) {
			st, err := attestation.ReadFile(att)
			require.NoError(t, err)
			vkData, err := os.ReadFile(vk)
			require.NoError(t, err)
			ctx := compileVerifier(t, compileJS, vkData)
			dx := ch.deploy(t, ctx)
			call := verified(t, st, vkData)
			require.Equal(t, "", ch.call(t, ctx, dx.addr, calldata(t, call)))
			p := st.Predicate
			shape, _, _ := strings.Cut(p.Circuit.Public.Shape.String(), ",")
			rows = append(rows, ch.measure(t, dx, fmt.Sprintf("%s on %s/%s, %d samples, %s constraints: `%s` (%s)",
				shape, p.Benchmark.Name, p.Benchmark.Split, p.Benchmark.Samples, comma(uint64(p.Circuit.Constraints)), claimsText(p.Claims), filepath.Base(att)), call))
		})
	}

	if path := os.Getenv("ZKEVAL_EVM_REPORT"); path != "" && !t.Failed() {
		require.NoError(t, os.WriteFile(path, report(ct.solc, rows), 0o644))
		t.Logf("wrote %s", path)
	}
}

func claimsText(cs []attestation.Claim) string {
	var parts []string
	for _, c := range cs {
		s := c.Metric
		if c.Class != "" {
			s += "[class=" + c.Class + "]"
		}
		parts = append(parts, s+" "+c.Comparison+" "+c.Threshold)
	}
	return strings.Join(parts, ", ")
}

func slicesClone(in []*big.Int) []*big.Int {
	out := make([]*big.Int, len(in))
	for i, v := range in {
		out[i] = new(big.Int).Set(v)
	}
	return out
}

// gethVersion is the go-ethereum version this test is built with.
func gethVersion() string {
	return fmt.Sprintf("v%d.%d.%d", version.Major, version.Minor, version.Patch)
}

// report writes the measurements as the Markdown section that bench/report
// includes in BENCHMARKS.md.
func report(solc string, rows []measurement) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "\n## On-chain verification: the Solidity verifier (`zkeval export solidity`)\n\n")
	fmt.Fprintf(&b, "`bash bench/solidity.sh` proves `accuracy >= 0.95` on the first 100 official MNIST test images with `zkeval prove --target solidity`, exports the verifier contract and the calldata, and runs `evm/evmtest` (its own Go module, which `.ci/run` also runs) with that attestation, which wrote this section. Each verifying key's contract is compiled with solc %s (npm `solc`, pinned in `evm/evmtest/package.json`; optimizer on, 200 runs, EVM version %s), deployed on go-ethereum %s's simulated backend under mainnet's Osaka rules, and called with `zkeval export calldata`'s encoding. Verification gas depends on the number of public inputs, not on the circuit's size (the MNIST row and the fixture's first row have the same 7 inputs); the bytecode grows with them (each public input adds two 32-byte constants of the key and one step of the multi-scalar multiplication).\n\n", solc, EVMVersion, gethVersion())
	fmt.Fprintf(&b, "| attestation | public inputs | calldata | verifyProof transaction gas | of which intrinsic (21,000 + calldata) | execution | runtime bytecode (EIP-170 limit 24,576) | initcode | deployment gas |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %d | %s B | %s | %s | %s | %s B | %s B | %s |\n", r.what, r.inputs, comma(uint64(r.calldataBytes)), comma(r.gas), comma(r.intrinsic), comma(r.gas-r.intrinsic), comma(uint64(r.runtime)), comma(uint64(r.initcode)), comma(r.deployGas))
	}
	fmt.Fprintf(&b, "\nGas is the mined `verifyProof` transaction's `gasUsed`; intrinsic gas is 21,000 plus 4 per zero and 16 per other calldata byte (EIP-2028), so it varies by a few dozen between proofs; execution is the rest: four pairings for the Groth16 equation, two for the commitment's proof of knowledge, and one scalar multiplication per public input and commitment. The proof travels uncompressed, 384 bytes (A, B, C, the commitment and its proof of knowledge). Measured on %s.\n\n", time.Now().UTC().Format("2006-01-02"))
	return []byte(b.String())
}

func comma(v uint64) string {
	s := fmt.Sprint(v)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
