using Churn.Host.Cli;
using Churn.Numerics.Model;

// Before anything touches libtorch: its math library must start in its reproducible mode.
MathLibrary.PinReproducibleCodePath();
return await ChurnCli.RunAsync(args);
